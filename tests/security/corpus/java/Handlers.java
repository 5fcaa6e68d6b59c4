package example;

import java.io.*;
import java.net.URL;
import java.nio.file.*;
import java.security.MessageDigest;
import java.sql.*;
import javax.net.ssl.*;

public class Handlers {
    private static final String DB_PASSWORD = "Sup3rS3cret!"; // expect: hardcoded-credentials
    private static final String API_KEY = "sk_live_51HGaQ2eZvKYlo2C"; // expect: hardcoded-credentials
    private static final String PASSWORD_PARAM = "password"; // safe: hardcoded-credentials
    private final String dbPassword = System.getenv("DB_PASSWORD"); // safe: hardcoded-credentials

    Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://db/app", "app", "hunter2hunter2"); // expect: hardcoded-credentials
    }

    Connection connectFromEnv() throws SQLException {
        return DriverManager.getConnection(System.getenv("JDBC_URL"), "app", dbPassword); // safe: hardcoded-credentials
    }

    ResultSet findUser(Connection conn, String name) throws SQLException {
        Statement stmt = conn.createStatement();
        return stmt.executeQuery("SELECT * FROM users WHERE name = '" + name + "'"); // expect: sql-injection
    }

    ResultSet findById(Connection conn, String id) throws SQLException {
        String sql = String.format("SELECT * FROM users WHERE id = %s", id);
        return conn.createStatement().executeQuery(sql); // expect: sql-injection
    }

    PreparedStatement prepareBuilt(Connection conn, String table) throws SQLException {
        return conn.prepareStatement("SELECT * FROM " + table); // expect: sql-injection
    }

    List<User> jpa(EntityManager em, String name) {
        return em.createQuery("SELECT u FROM User u WHERE u.name = '" + name + "'").getResultList(); // expect: sql-injection
    }

    ResultSet findUserSafely(Connection conn, String name) throws SQLException {
        PreparedStatement ps = conn.prepareStatement("SELECT * FROM users WHERE name = ?"); // safe: sql-injection
        ps.setString(1, name);
        return ps.executeQuery(); // safe: sql-injection
    }

    List<User> jpaSafely(EntityManager em, String name) {
        return em.createQuery("SELECT u FROM User u WHERE u.name = :name").setParameter("name", name).getResultList(); // safe: sql-injection
    }

    void archive(String dir) throws IOException {
        Runtime.getRuntime().exec("tar czf backup.tgz " + dir); // expect: command-injection
    }

    void runShell(String script) throws IOException {
        new ProcessBuilder("bash", "-c", script).start(); // expect: command-injection
    }

    void archiveSafely(String dir) throws IOException {
        new ProcessBuilder("tar", "czf", "backup.tgz", dir).start(); // safe: command-injection
        Runtime.getRuntime().exec(new String[] {"tar", "czf", "backup.tgz", dir}); // safe: command-injection
    }

    Object evaluate(ScriptEngine engine, String expression) throws Exception {
        return engine.eval(expression); // expect: code-injection
    }

    Object evaluateConstant(ScriptEngine engine) throws Exception {
        return engine.eval("1 + 1"); // safe: code-injection
    }

    String hashPassword(String password) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5"); // expect: weak-password-hash
        return toHex(md.digest(password.getBytes()));
    }

    byte[] checksum(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-1").digest(data); // safe: weak-password-hash
    }

    String hashPasswordWell(String password) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256"); // safe: weak-password-hash
        return toHex(md.digest(password.getBytes()));
    }

    Object readObject(InputStream input) throws Exception {
        ObjectInputStream in = new ObjectInputStream(input); // expect: insecure-deserialization
        return in.readObject();
    }

    User readJson(ObjectMapper mapper, String json) throws Exception {
        return mapper.readValue(json, User.class); // safe: insecure-deserialization
    }

    void writeObject(OutputStream output, Object value) throws IOException {
        new ObjectOutputStream(output).writeObject(value); // safe: insecure-deserialization
    }

    void trustAll(HttpsURLConnection conn) {
        conn.setHostnameVerifier((hostname, session) -> true); // expect: tls-verification-disabled
    }

    void verifyHosts(HttpsURLConnection conn, HostnameVerifier verifier) {
        conn.setHostnameVerifier(verifier); // safe: tls-verification-disabled
    }

    byte[] download(HttpServletRequest request) throws IOException {
        String name = request.getParameter("file");
        return Files.readAllBytes(Paths.get("/srv/files", name)); // expect: path-traversal
    }

    FileInputStream open(HttpServletRequest request) throws IOException {
        return new FileInputStream(new File("/srv/files", request.getParameter("file"))); // expect: path-traversal
    }

    byte[] downloadSafely(HttpServletRequest request) throws IOException {
        String name = Paths.get(request.getParameter("file")).getFileName().toString();
        return Files.readAllBytes(Paths.get("/srv/files", name)); // safe: path-traversal
    }

    String springDownload(@RequestParam String file) throws IOException {
        return Files.readString(Path.of("/srv/files", file)); // expect: path-traversal
    }

    InputStream proxy(HttpServletRequest request) throws IOException {
        URL url = new URL(request.getParameter("url")); // expect: ssrf
        return url.openStream();
    }

    InputStream search(HttpServletRequest request) throws IOException {
        String q = URLEncoder.encode(request.getParameter("q"), "UTF-8");
        return new URL("https://api.example.com/search?q=" + q).openStream(); // safe: ssrf
    }

    InputStream status() throws IOException {
        return new URL("https://status.example.com/health").openStream(); // safe: ssrf
    }
}
