import json
import pickle

import yaml


def load_session(blob):
    return pickle.loads(blob)  # expect: insecure-deserialization


def load_model(path):
    with open(path, "rb") as handle:
        return pickle.load(handle)  # expect: insecure-deserialization


def read_config(text):
    return yaml.load(text)  # expect: insecure-deserialization


def read_config_full(text):
    return yaml.load(text, Loader=yaml.FullLoader)  # expect: insecure-deserialization


def read_unsafe(text):
    return yaml.unsafe_load(text)  # expect: insecure-deserialization


def cached(path):
    return joblib.load(path)  # expect: insecure-deserialization


def read_config_safely(text):
    return yaml.safe_load(text)  # safe: insecure-deserialization


def read_config_loader(text):
    return yaml.load(text, Loader=yaml.SafeLoader)  # safe: insecure-deserialization


def load_json(blob):
    return json.loads(blob)  # safe: insecure-deserialization


def save(obj, handle):
    pickle.dump(obj, handle)  # safe: insecure-deserialization
