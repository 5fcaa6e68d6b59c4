import urllib.request

import requests
from flask import request


def proxy():
    return requests.get(request.args["url"]).content  # expect: ssrf


def webhook():
    target = request.json.get("callback")
    requests.post(target, json={"ok": True})  # expect: ssrf


def preview():
    url = request.form["link"]
    return urllib.request.urlopen(url).read()  # expect: ssrf


def fixed_api():
    return requests.get("https://api.example.com/search", params={"q": request.args["q"]})  # safe: ssrf


def configured(settings):
    return requests.get(settings.STATUS_URL, timeout=5)  # safe: ssrf


def quoted():
    return requests.get("https://api.example.com/users/" + urllib.parse.quote(request.args["id"], safe=""))  # safe: ssrf
