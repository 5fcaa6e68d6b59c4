const DB_PASSWORD = "Sup3rS3cret!"; // expect: hardcoded-credentials
const apiKey = "sk_live_51HGaQ2eZvKYlo2C"; // expect: hardcoded-credentials

const pool = new Pool({
  host: "db",
  user: "app",
  password: "hunter2hunter2", // expect: hardcoded-credentials
});

const aws = { accessKey: "AKIA1234567890ABCDEF", region: "eu-west-1" }; // expect: hardcoded-credentials

function configure(client) {
  client.authToken = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"; // expect: hardcoded-credentials
}

const password = process.env.DB_PASSWORD; // safe: hardcoded-credentials
const PASSWORD_FIELD = "password"; // safe: hardcoded-credentials
const token = ""; // safe: hardcoded-credentials
const form = { password: "" }; // safe: hardcoded-credentials
const placeholders = { apiKey: "<your-api-key>" }; // safe: hardcoded-credentials
const fromEnv = new Pool({ password: process.env.PGPASSWORD }); // safe: hardcoded-credentials

module.exports = { pool, aws, configure, password, form, placeholders, fromEnv, PASSWORD_FIELD, token };
