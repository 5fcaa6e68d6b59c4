const mysql = require("mysql2/promise");

async function byName(db, name) {
  return db.query("SELECT * FROM users WHERE name = '" + name + "'"); // expect: sql-injection
}

async function byId(pool, id) {
  return pool.query(`SELECT * FROM users WHERE id = ${id}`); // expect: sql-injection
}

async function oneHop(conn, email) {
  const sql = "SELECT id FROM accounts WHERE email = '" + email + "'";
  const [rows] = await conn.execute(sql); // expect: sql-injection
  return rows;
}

async function sorted(db, column) {
  let sql = "SELECT * FROM products";
  sql += ` ORDER BY ${column}`;
  return db.all(sql); // expect: sql-injection
}

async function knexRaw(knex, status) {
  return knex.raw(`UPDATE orders SET status = '${status}'`); // expect: sql-injection
}

async function sequelizeQuery(sequelize, req) {
  return sequelize.query("SELECT * FROM logs WHERE level = " + req.query.level); // expect: sql-injection
}

async function prismaUnsafe(prisma, name) {
  return prisma.$queryRawUnsafe(`SELECT * FROM "User" WHERE name = '${name}'`); // expect: sql-injection
}

async function byNameSafe(db, name) {
  return db.query("SELECT * FROM users WHERE name = $1", [name]); // safe: sql-injection
}

async function byIdSafe(conn, id) {
  const [rows] = await conn.execute("SELECT * FROM users WHERE id = ?", [id]); // safe: sql-injection
  return rows;
}

async function constantTemplate(db) {
  return db.query(`SELECT count(*) FROM users`); // safe: sql-injection
}

async function likeParameter(db, term) {
  const pattern = "%" + term + "%";
  return db.query("SELECT * FROM products WHERE title LIKE $1", [pattern]); // safe: sql-injection
}

function cacheGet(cache, id) {
  return cache.get("user:" + id); // safe: sql-injection
}

module.exports = { byName, byId, oneHop, sorted, knexRaw, sequelizeQuery, prismaUnsafe, mysql };
