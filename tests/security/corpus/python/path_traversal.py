import os

from flask import request, send_file, send_from_directory
from werkzeug.utils import secure_filename

UPLOADS = "/srv/uploads"


def download():
    name = request.args.get("file")
    return send_file(os.path.join(UPLOADS, name))  # expect: path-traversal


def read_report():
    with open(os.path.join("/srv/reports", request.args["report"])) as handle:  # expect: path-traversal
        return handle.read()


def delete_upload():
    os.remove(UPLOADS + "/" + request.form["name"])  # expect: path-traversal


def django_view(request):
    path = os.path.join(UPLOADS, request.GET.get("name"))
    return open(path, "rb").read()  # expect: path-traversal


def download_safely():
    name = secure_filename(request.args.get("file"))
    return send_file(os.path.join(UPLOADS, name))  # safe: path-traversal


def download_basename():
    return send_file(os.path.join(UPLOADS, os.path.basename(request.args["file"])))  # safe: path-traversal


def download_from_directory():
    return send_from_directory(UPLOADS, request.args["file"])  # safe: path-traversal


def read_fixed():
    with open(os.path.join(UPLOADS, "index.txt")) as handle:  # safe: path-traversal
        return handle.read()
