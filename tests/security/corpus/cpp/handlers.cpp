#include <cstdlib>
#include <cstring>
#include <string>
#include <pqxx/pqxx>

const std::string kApiToken = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"; // expect: hardcoded-credentials
const char *db_password = "Sup3rS3cret!"; // expect: hardcoded-credentials
const std::string password_env = std::getenv("DB_PASSWORD"); // safe: hardcoded-credentials

pqxx::result find_user(pqxx::work &txn, const std::string &name) {
    return txn.exec("SELECT * FROM users WHERE name = '" + name + "'"); // expect: sql-injection
}

pqxx::result find_order(pqxx::work &txn, const std::string &id) {
    std::string sql = "SELECT * FROM orders WHERE id = " + id;
    return txn.exec(sql); // expect: sql-injection
}

pqxx::result find_user_quoted(pqxx::work &txn, const std::string &name) {
    return txn.exec("SELECT * FROM users WHERE name = " + txn.quote(name)); // safe: sql-injection
}

pqxx::result find_user_params(pqxx::work &txn, const std::string &name) {
    return txn.exec_params("SELECT * FROM users WHERE name = $1", name); // safe: sql-injection
}

int archive(const std::string &dir) {
    std::string cmd = "tar czf backup.tgz " + dir;
    return std::system(cmd.c_str()); // expect: command-injection
}

int clear_screen() {
    return std::system("clear"); // safe: command-injection
}

void copy_name(char *dst, const std::string &src) {
    std::strcpy(dst, src.c_str()); // expect: unsafe-c-string
}

void copy_name_bounded(char *dst, std::size_t size, const std::string &src) {
    std::snprintf(dst, size, "%s", src.c_str()); // safe: unsafe-c-string
}

std::string greeting(const std::string &name) {
    return "Hello, " + name + "!"; // safe: sql-injection
}
