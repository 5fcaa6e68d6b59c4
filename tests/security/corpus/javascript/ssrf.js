const axios = require("axios");

async function proxy(req, res) {
  const response = await fetch(req.query.url); // expect: ssrf
  res.send(await response.text());
}

async function webhook(req) {
  const target = req.body.callback;
  await axios.post(target, { ok: true }); // expect: ssrf
}

async function image(req) {
  return axios.get(`${req.query.host}/thumbnail.png`); // expect: ssrf
}

async function search(req) {
  return fetch("https://api.example.com/search?q=" + encodeURIComponent(req.query.q)); // safe: ssrf
}

async function status(config) {
  return fetch(config.statusUrl); // safe: ssrf
}

function header(req) {
  return req.get("user-agent"); // safe: ssrf
}

module.exports = { proxy, webhook, image, search, status, header };
