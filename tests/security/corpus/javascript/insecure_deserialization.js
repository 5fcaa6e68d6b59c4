const serialize = require("node-serialize");
const yaml = require("js-yaml");

function restore(cookie) {
  return serialize.unserialize(Buffer.from(cookie, "base64").toString()); // expect: insecure-deserialization
}

function loadAll(text) {
  return yaml.load(text, { schema: yaml.DEFAULT_FULL_SCHEMA }); // expect: insecure-deserialization
}

function parse(cookie) {
  return JSON.parse(Buffer.from(cookie, "base64").toString()); // safe: insecure-deserialization
}

function loadConfig(text) {
  return yaml.load(text); // safe: insecure-deserialization
}
