const https = require("https");

const agent = new https.Agent({ rejectUnauthorized: false }); // expect: tls-verification-disabled

function connect(tls, host) {
  return tls.connect(443, host, { servername: host, rejectUnauthorized: false }); // expect: tls-verification-disabled
}

process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"; // expect: tls-verification-disabled
process.env["NODE_TLS_REJECT_UNAUTHORIZED"] = "0"; // expect: tls-verification-disabled

const strictAgent = new https.Agent({ rejectUnauthorized: true }); // safe: tls-verification-disabled
const privateCa = new https.Agent({ ca: fs.readFileSync("ca.pem") }); // safe: tls-verification-disabled
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "1"; // safe: tls-verification-disabled

module.exports = { agent, connect, strictAgent, privateCa };
