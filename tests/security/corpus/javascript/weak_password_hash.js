const crypto = require("crypto");

function hashPassword(password) {
  return crypto.createHash("md5").update(password).digest("hex"); // expect: weak-password-hash
}

function storeUser(db, user, pwd) {
  const digest = crypto.createHash("sha1").update(pwd).digest("hex"); // expect: weak-password-hash
  return db.save(user, digest);
}

function legacyCheck(passwordHash, password) {
  return md5(password) === passwordHash; // expect: weak-password-hash
}

function etag(body) {
  return crypto.createHash("md5").update(body).digest("hex"); // safe: weak-password-hash
}

function hashPasswordWell(password, salt) {
  return crypto.scryptSync(password, salt, 64).toString("hex"); // safe: weak-password-hash
}

function sha256Password(password) {
  return crypto.createHash("sha256").update(password).digest("hex"); // safe: weak-password-hash
}
