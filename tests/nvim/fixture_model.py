#!/usr/bin/env python3
"""A deterministic stand-in for a code model behind an OpenAI-compatible server, for the editor
tests of the refactor agent: Infill's real OpenAI backend talks to it over loopback, and it
answers the agent's planner and editor prompts from a script (SEARCH/REPLACE blocks for the demo
project's `unit_price` -> `price_of` rename). Usage: fixture_model.py PORT_FILE; it binds a free
port on 127.0.0.1 and writes the port to PORT_FILE."""

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def block(search, replace):
    return f"<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


EDITS = {
    "src/pricing.py": block("def unit_price(item):\n", "def price_of(item):\n"),
    "src/orders.py": block(
        "from pricing import unit_price, with_tax\n", "from pricing import price_of, with_tax\n"
    )
    + block(
        '    subtotal = sum(unit_price(item) * item["quantity"] for item in order["items"])\n',
        '    subtotal = sum(price_of(item) * item["quantity"] for item in order["items"])\n',
    ),
}


def answer(prompt):
    if "Which files must change" in prompt:
        numbers = []
        for name in ("src/pricing.py", "src/orders.py"):
            match = re.search(r"^(\d+)\. " + re.escape(name) + r"\b", prompt, re.M)
            if match:
                numbers.append(match.group(1))
        return "FILES: " + ", ".join(numbers)
    edited = re.findall(r"^The file to edit now, (.+):$", prompt, re.M)
    if edited and edited[-1] in EDITS:
        return EDITS[edited[-1]]
    return "NO CHANGES"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, value, status=200):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self.send_json({"object": "list", "data": [{"id": "fixture", "object": "model"}]})
        else:
            self.send_json({"error": {"message": "not found"}}, 404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        if "messages" in request:
            prompt = "\n".join(m.get("content", "") for m in request["messages"])
            text = answer(prompt)
            chunk = lambda piece: {"choices": [{"index": 0, "delta": {"content": piece}}]}
            final = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}
        elif "prompt" in request:
            text = ""
            chunk = lambda piece: {"choices": [{"index": 0, "text": piece}]}
            final = {"choices": [{"index": 0, "text": text, "finish_reason": "stop"}]}
        else:
            self.send_json({"error": {"message": "bad request"}}, 400)
            return
        if not request.get("stream"):
            self.send_json(final)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for start in range(0, len(text), 16):
            self.wfile.write(b"data: " + json.dumps(chunk(text[start:start + 16])).encode() + b"\n\n")
        done = {"choices": [{"index": 0, "delta": {}, "text": "", "finish_reason": "stop"}]}
        self.wfile.write(b"data: " + json.dumps(done).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as port_file:
        port_file.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
