import hashlib
from hashlib import md5


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()  # expect: weak-password-hash


def store_user(db, name, pwd):
    digest = hashlib.sha1(pwd.encode("utf-8")).hexdigest()  # expect: weak-password-hash
    db.save(name, digest)


def check_password(stored, password):
    h = hashlib.new("md5")  # expect: weak-password-hash
    h.update(password.encode())
    return h.hexdigest() == stored


def legacy(passwd):
    return md5(passwd).hexdigest()  # expect: weak-password-hash


def file_checksum(path):
    with open(path, "rb") as handle:
        return hashlib.md5(handle.read()).hexdigest()  # safe: weak-password-hash


def etag(body):
    return hashlib.sha1(body).hexdigest()  # safe: weak-password-hash


def hash_password_well(password, salt):
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)  # safe: weak-password-hash


def hash_password_pbkdf2(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)  # safe: weak-password-hash
