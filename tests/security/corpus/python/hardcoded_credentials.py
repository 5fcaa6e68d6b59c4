import os

DB_PASSWORD = "Sup3rS3cret!"  # expect: hardcoded-credentials
API_KEY = "sk_live_51HGaQ2eZvKYlo2C"  # expect: hardcoded-credentials
aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # expect: hardcoded-credentials


class Settings:
    SECRET_KEY = "django-insecure-8x#2kq@l!"  # expect: hardcoded-credentials


def connect():
    return psycopg2.connect(host="db", user="app", password="hunter2hunter2")  # expect: hardcoded-credentials


def client():
    config = {"api_key": "AKIA1234567890ABCDEF", "region": "eu-west-1"}  # expect: hardcoded-credentials
    return config


def login(session):
    session.auth_token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"  # expect: hardcoded-credentials


DB_PASSWORD_FROM_ENV = os.environ["DB_PASSWORD"]  # safe: hardcoded-credentials
password = os.getenv("APP_PASSWORD")  # safe: hardcoded-credentials
PASSWORD_FIELD = "password"  # safe: hardcoded-credentials
password_hint = "Use at least twelve characters"  # safe: hardcoded-credentials
token = ""  # safe: hardcoded-credentials
api_key = None  # safe: hardcoded-credentials
secret = "{vault:db/password}"  # safe: hardcoded-credentials


def connect_from_env():
    return psycopg2.connect(host="db", user="app", password=os.environ["PGPASSWORD"])  # safe: hardcoded-credentials


def form_labels():
    return {"password": input("Password: ")}  # safe: hardcoded-credentials
