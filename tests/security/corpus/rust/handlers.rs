use std::process::Command;

const API_KEY: &str = "sk_live_51HGaQ2eZvKYlo2C"; // expect: hardcoded-credentials
static DB_PASSWORD: &str = "Sup3rS3cret!"; // expect: hardcoded-credentials
const PASSWORD_ENV: &str = "DB_PASSWORD"; // safe: hardcoded-credentials

struct Config {
    password: String,
}

fn default_config() -> Config {
    Config { password: "hunter2hunter2".to_string() } // expect: hardcoded-credentials
}

fn config_from_env() -> Config {
    Config { password: std::env::var("DB_PASSWORD").unwrap_or_default() } // safe: hardcoded-credentials
}

fn find_user(conn: &rusqlite::Connection, name: &str) -> rusqlite::Result<usize> {
    let sql = format!("SELECT * FROM users WHERE name = '{}'", name);
    conn.execute(&sql, []) // expect: sql-injection
}

fn delete_order(conn: &rusqlite::Connection, id: &str) -> rusqlite::Result<usize> {
    conn.execute(&format!("DELETE FROM orders WHERE id = {id}"), []) // expect: sql-injection
}

async fn find_sqlx(pool: &sqlx::PgPool, name: &str) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(&format!("SELECT * FROM users WHERE name = '{name}'")).fetch_all(pool).await // expect: sql-injection
}

fn find_user_safely(conn: &rusqlite::Connection, name: &str) -> rusqlite::Result<usize> {
    conn.execute("SELECT * FROM users WHERE name = ?1", [name]) // safe: sql-injection
}

async fn find_sqlx_safely(pool: &sqlx::PgPool, name: &str) -> sqlx::Result<Vec<User>> {
    sqlx::query_as("SELECT * FROM users WHERE name = $1").bind(name).fetch_all(pool).await // safe: sql-injection
}

fn log_line(id: &str) -> String {
    let line = format!("deleted order {id}");
    println!("{}", line); // safe: sql-injection
    line
}

fn archive(dir: &str) -> std::io::Result<std::process::Output> {
    Command::new("sh").arg("-c").arg(format!("tar czf backup.tgz {dir}")).output() // expect: command-injection
}

fn run_script(script: &str) -> std::io::Result<std::process::ExitStatus> {
    Command::new("bash").args(["-c", script]).status() // expect: command-injection
}

fn archive_safely(dir: &str) -> std::io::Result<std::process::Output> {
    Command::new("tar").arg("czf").arg("backup.tgz").arg(dir).output() // safe: command-injection
}

fn constant_shell() -> std::io::Result<std::process::Output> {
    Command::new("sh").arg("-c").arg("ls -l /var/log").output() // safe: command-injection
}

fn insecure_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().danger_accept_invalid_certs(true).build() // expect: tls-verification-disabled
}

fn strict_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().danger_accept_invalid_certs(false).build() // safe: tls-verification-disabled
}

fn hash_password(password: &str) -> String {
    let digest = md5::compute(password.as_bytes()); // expect: weak-password-hash
    format!("{:x}", digest)
}

fn checksum(data: &[u8]) -> String {
    let digest = md5::compute(data); // safe: weak-password-hash
    format!("{:x}", digest)
}
