const fs = require("fs");
const path = require("path");
const express = require("express");

const app = express();
const ROOT = path.join(__dirname, "uploads");

app.get("/download", (req, res) => {
  fs.createReadStream(path.join(ROOT, req.query.file)).pipe(res); // expect: path-traversal
});

app.get("/read/:name", (req, res) => {
  const name = req.params.name;
  fs.readFile(path.join(ROOT, name), (err, data) => res.send(data)); // expect: path-traversal
});

app.delete("/files", (req, res) => {
  const { file } = req.body;
  fs.unlinkSync(ROOT + "/" + file); // expect: path-traversal
  res.end();
});

app.get("/raw", (req, res) => {
  res.sendFile(req.query.path); // expect: path-traversal
});

app.get("/safe", (req, res) => {
  fs.createReadStream(path.join(ROOT, path.basename(req.query.file))).pipe(res); // safe: path-traversal
});

app.get("/rooted", (req, res) => {
  res.sendFile(req.query.file, { root: ROOT }); // safe: path-traversal
});

app.get("/index", (req, res) => {
  fs.readFile(path.join(ROOT, "index.html"), (err, data) => res.send(data)); // safe: path-traversal
});
