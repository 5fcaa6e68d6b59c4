#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <curl/curl.h>
#include <openssl/md5.h>

#define DB_PASSWORD "Sup3rS3cret!" /* expect: hardcoded-credentials */
#define PASSWORD_ENV "DB_PASSWORD_FILE_PATH_X" /* safe: hardcoded-credentials */
static const char *api_key = "sk_live_51HGaQ2eZvKYlo2C"; /* expect: hardcoded-credentials */
static const char *password_prompt = ""; /* safe: hardcoded-credentials */

int find_user(sqlite3 *db, const char *name) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM users WHERE name = '%s'", name);
    return sqlite3_exec(db, sql, NULL, NULL, NULL); /* expect: sql-injection */
}

int delete_order(MYSQL *conn, const char *id) {
    char query[128] = "DELETE FROM orders WHERE id = ";
    strncat(query, id, sizeof query - strlen(query) - 1);
    return mysql_query(conn, query); /* expect: sql-injection */
}

int find_user_safely(sqlite3 *db, const char *name) {
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(db, "SELECT * FROM users WHERE name = ?", -1, &stmt, NULL); /* safe: sql-injection */
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    return rc;
}

int count_users(sqlite3 *db) {
    return sqlite3_exec(db, "SELECT count(*) FROM users", NULL, NULL, NULL); /* safe: sql-injection */
}

int archive(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tar czf backup.tgz %s", dir);
    return system(cmd); /* expect: command-injection */
}

FILE *list(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -l %s", dir);
    return popen(cmd, "r"); /* expect: command-injection */
}

int clear_screen(void) {
    return system("clear"); /* safe: command-injection */
}

void copy_name(char *dst, const char *src) {
    strcpy(dst, src); /* expect: unsafe-c-string */
}

void append(char *dst, const char *src) {
    strcat(dst, src); /* expect: unsafe-c-string */
}

void read_line(char *buf) {
    gets(buf); /* expect: unsafe-c-string */
}

void greet(char *out, const char *name) {
    sprintf(out, "Hello, %s!", name); /* expect: unsafe-c-string */
}

void copy_name_bounded(char *dst, size_t size, const char *src) {
    snprintf(dst, size, "%s", src); /* safe: unsafe-c-string */
    strncpy(dst, src, size - 1); /* safe: unsafe-c-string */
}

void read_line_bounded(char *buf, int size) {
    fgets(buf, size, stdin); /* safe: unsafe-c-string */
}

void insecure_download(CURL *curl) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L); /* expect: tls-verification-disabled */
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L); /* expect: tls-verification-disabled */
}

void secure_download(CURL *curl) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L); /* safe: tls-verification-disabled */
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 0L); /* safe: tls-verification-disabled */
}

void insecure_context(SSL_CTX *ctx) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* expect: tls-verification-disabled */
}

void hash_password(const char *password, unsigned char *out) {
    MD5((const unsigned char *)password, strlen(password), out); /* expect: weak-password-hash */
}

void checksum(const unsigned char *data, size_t len, unsigned char *out) {
    MD5(data, len, out); /* safe: weak-password-hash */
}
