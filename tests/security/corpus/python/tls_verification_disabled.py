import ssl

import requests


def fetch(url):
    return requests.get(url, verify=False, timeout=10)  # expect: tls-verification-disabled


def post(url, data):
    return requests.post(url, json=data, verify=False)  # expect: tls-verification-disabled


def session():
    s = requests.Session()
    s.verify = False  # expect: tls-verification-disabled
    return s


def context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False  # expect: tls-verification-disabled
    ctx.verify_mode = ssl.CERT_NONE  # expect: tls-verification-disabled
    return ctx


def unverified():
    return ssl._create_unverified_context()  # expect: tls-verification-disabled


def fetch_verified(url):
    return requests.get(url, timeout=10)  # safe: tls-verification-disabled


def fetch_private_ca(url):
    return requests.get(url, verify="/etc/ssl/private-ca.pem")  # safe: tls-verification-disabled


def strict_context():
    ctx = ssl.create_default_context()
    ctx.verify_mode = ssl.CERT_REQUIRED  # safe: tls-verification-disabled
    return ctx
