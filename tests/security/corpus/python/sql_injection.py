import sqlite3
from sqlalchemy import text


def by_name_concat(cur, name):
    cur.execute("SELECT * FROM users WHERE name = '" + name + "'")  # expect: sql-injection


def by_name_fstring(cur, name):
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")  # expect: sql-injection


def by_id_percent(cur, user_id):
    cur.execute("SELECT * FROM users WHERE id = %s" % user_id)  # expect: sql-injection


def by_id_format(cur, user_id):
    cur.execute("SELECT * FROM users WHERE id = {}".format(user_id))  # expect: sql-injection


def one_hop(conn, email):
    query = "SELECT id FROM accounts WHERE email = '" + email + "'"
    rows = conn.execute(query).fetchall()  # expect: sql-injection
    return rows


def one_hop_fstring(cursor, table, column):
    sql = f"SELECT {column} FROM {table}"
    cursor.execute(sql)  # expect: sql-injection


def augmented(cur, status):
    sql = "SELECT * FROM orders WHERE 1=1"
    sql += " AND status = '" + status + "'"
    cur.execute(sql)  # expect: sql-injection


def sqlalchemy_text(session, name):
    return session.execute(text(f"DELETE FROM sessions WHERE user = '{name}'"))  # expect: sql-injection


def pandas_read(conn, day):
    return pd.read_sql("SELECT * FROM events WHERE day = '%s'" % day, conn)  # expect: sql-injection


def executemany_formatted(cur, table, rows):
    cur.executemany("INSERT INTO {} VALUES (?, ?)".format(table), rows)  # expect: sql-injection


def parameterized(cur, name):
    cur.execute("SELECT * FROM users WHERE name = %s", (name,))  # safe: sql-injection


def parameterized_qmark(conn, user_id):
    return conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()  # safe: sql-injection


def parameterized_named(session, name):
    return session.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})  # safe: sql-injection


def constant_query_in_variable(cur, name):
    query = "SELECT * FROM users WHERE name = %s"
    cur.execute(query, (name,))  # safe: sql-injection


def like_pattern_parameter(cur, term):
    pattern = "%" + term + "%"
    cur.execute("SELECT * FROM products WHERE title LIKE %s", (pattern,))  # safe: sql-injection


def constant_script(conn):
    conn.executescript("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")  # safe: sql-injection


def orm_query(session, User, name):
    return session.query(User).filter(User.name == name).all()  # safe: sql-injection


def two_hops(cur, name):
    where = "name = '" + name + "'"
    query = "SELECT * FROM users WHERE " + where
    cur.execute(query)  # expect: sql-injection


def joined(cur, ids):
    cur.execute("SELECT * FROM t WHERE id IN (" + ",".join(ids) + ")")  # expect: sql-injection
