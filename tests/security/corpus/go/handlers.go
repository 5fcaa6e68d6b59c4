package handlers

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/tls"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
)

const dbPassword = "Sup3rS3cret!" // expect: hardcoded-credentials

var apiKey = "sk_live_51HGaQ2eZvKYlo2C" // expect: hardcoded-credentials

var passwordFromEnv = os.Getenv("DB_PASSWORD") // safe: hardcoded-credentials

const passwordParam = "password" // safe: hardcoded-credentials

type Config struct {
	Password string
}

var defaultConfig = Config{Password: "hunter2hunter2"} // expect: hardcoded-credentials

var emptyConfig = Config{Password: ""} // safe: hardcoded-credentials

func FindUser(db *sql.DB, r *http.Request) (*sql.Rows, error) {
	name := r.URL.Query().Get("name")
	return db.Query("SELECT * FROM users WHERE name = '" + name + "'") // expect: sql-injection
}

func FindUserSprintf(db *sql.DB, id string) (*sql.Rows, error) {
	query := fmt.Sprintf("SELECT * FROM users WHERE id = %s", id)
	return db.Query(query) // expect: sql-injection
}

func DeleteOrder(ctx context.Context, db *sql.DB, id string) error {
	_, err := db.ExecContext(ctx, "DELETE FROM orders WHERE id = "+id) // expect: sql-injection
	return err
}

func FindUserSafely(db *sql.DB, name string) (*sql.Rows, error) {
	return db.Query("SELECT * FROM users WHERE name = $1", name) // safe: sql-injection
}

func SearchSafely(ctx context.Context, db *sql.DB, term string) (*sql.Rows, error) {
	pattern := "%" + term + "%"
	return db.QueryContext(ctx, "SELECT * FROM products WHERE title LIKE $1", pattern) // safe: sql-injection
}

func Archive(dir string) error {
	return exec.Command("sh", "-c", "tar czf backup.tgz "+dir).Run() // expect: command-injection
}

func RunScript(ctx context.Context, script string) error {
	return exec.CommandContext(ctx, "bash", "-c", script).Run() // expect: command-injection
}

func ArchiveSafely(dir string) error {
	return exec.Command("tar", "czf", "backup.tgz", dir).Run() // safe: command-injection
}

func ConstantShell() error {
	return exec.Command("sh", "-c", "ls -l /var/log").Run() // safe: command-injection
}

func Download(w http.ResponseWriter, r *http.Request) {
	name := r.FormValue("file")
	data, err := os.ReadFile(filepath.Join("/srv/files", name)) // expect: path-traversal
	if err == nil {
		w.Write(data)
	}
}

func Serve(w http.ResponseWriter, r *http.Request) {
	http.ServeFile(w, r, "/srv/files/"+r.URL.Path) // expect: path-traversal
}

func DownloadSafely(w http.ResponseWriter, r *http.Request) {
	name := filepath.Base(r.FormValue("file"))
	data, _ := os.ReadFile(filepath.Join("/srv/files", name)) // safe: path-traversal
	w.Write(data)
}

func Proxy(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("url")
	resp, err := http.Get(target) // expect: ssrf
	if err == nil {
		resp.Body.Close()
	}
}

func Forward(r *http.Request) (*http.Request, error) {
	return http.NewRequest("POST", r.FormValue("callback"), nil) // expect: ssrf
}

func Search(r *http.Request) (*http.Response, error) {
	return http.Get("https://api.example.com/search?q=" + url.QueryEscape(r.FormValue("q"))) // safe: ssrf
}

func Status() (*http.Response, error) {
	return http.Get("https://status.example.com/health") // safe: ssrf
}

func InsecureClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // expect: tls-verification-disabled
	}}
}

func StrictClient() *tls.Config {
	return &tls.Config{InsecureSkipVerify: false, MinVersion: tls.VersionTLS12} // safe: tls-verification-disabled
}

func HashPassword(password string) string {
	sum := md5.Sum([]byte(password)) // expect: weak-password-hash
	return fmt.Sprintf("%x", sum)
}

func LegacyPasswordHash(pwd string) []byte {
	h := sha1.New() // expect: weak-password-hash
	h.Write([]byte(pwd))
	return h.Sum(nil)
}

func Checksum(data []byte) [16]byte {
	return md5.Sum(data) // safe: weak-password-hash
}
