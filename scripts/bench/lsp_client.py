"""A JSON-RPC client for `infill lsp --stdio` (stdlib only), shared by the scripts that drive the
server as an editor would.

`Server` starts the process, frames messages with `Content-Length` headers, reads responses and
notifications in a background thread, answers the server's own requests with a null result, and
keeps the server's stderr (ANSI colours removed) in `log_lines`. Requests can be sent without
waiting (`request`, then `wait`) or waited for (`call`); notifications from the server are kept
in `notifications` and handed to `on_notification`.

Import it from a script in this folder with `from lsp_client import Server` (Python puts the
script's folder on `sys.path`).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import BinaryIO, Callable

# Sent by the server after every completion it answers, when the client's `initialize` params
# carry `"trace": "messages"` or `"verbose"`. Params: uri, version, ms, source ("engine",
# "typed_through", "cache" or null), prompt_tokens, computed_tokens, generated_tokens (ints or
# null).
TRACE_METHOD = "$/infill/trace"


def frame(message: dict) -> bytes:
    """One message as it goes on the wire: a `Content-Length` header, a blank line, the JSON."""
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream: BinaryIO) -> dict:
    """Reads one framed message; raises EOFError at the end of the stream."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            raise EOFError
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode("ascii", "replace").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    if length is None:
        raise ValueError("a message without Content-Length")
    return json.loads(stream.read(length))


class Server:
    """A JSON-RPC client for one `infill lsp --stdio` process."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]):
        self.proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.write_lock = threading.Lock()
        self.cond = threading.Condition()
        self.next_id = 1
        self.responses: dict[int, tuple[float, dict]] = {}
        # callback(id, t, message), called in the reader thread before waiters wake up.
        self.on_response: Callable[[int, float, dict], None] | None = None
        # Notifications from the server, with when they arrived.
        self.notifications: list[tuple[float, dict]] = []
        # callback(t, message), called in the reader thread for each notification.
        self.on_notification: Callable[[float, dict], None] | None = None
        self.log_lines: list[tuple[float, str]] = []
        self.closed = False
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _send(self, message: dict) -> None:
        data = frame(message)
        with self.write_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def reserve_id(self) -> int:
        with self.cond:
            rid = self.next_id
            self.next_id += 1
        return rid

    def request(self, method: str, params, rid: int | None = None) -> tuple[int, float]:
        """Sends a request (with `rid` from `reserve_id`, so the caller can file its record
        before the answer can arrive); returns its id and when it was sent."""
        if rid is None:
            rid = self.reserve_id()
        sent = time.monotonic()
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid, sent

    def notify(self, method: str, params) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, rid: int, timeout: float) -> tuple[float, dict] | None:
        """The response to `rid` and when it arrived, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while rid not in self.responses and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.responses.get(rid)

    def call(self, method: str, params=None, timeout: float = 30.0):
        """Sends a request and returns its result; raises on an error or a timeout."""
        rid, _ = self.request(method, params)
        got = self.wait(rid, timeout)
        if got is None:
            raise TimeoutError(f"{method}: no response in {timeout} s")
        message = got[1]
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        return message.get("result")

    def notifications_of(self, method: str) -> list[tuple[float, dict]]:
        """The notifications of `method` received so far, with when they arrived."""
        with self.cond:
            return [(t, m) for t, m in self.notifications if m.get("method") == method]

    def _read_stdout(self) -> None:
        stream = self.proc.stdout
        try:
            while True:
                message = read_message(stream)
                now = time.monotonic()
                if "method" in message:
                    if "id" in message:  # a request from the server: accept it
                        self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                        continue
                    if self.on_notification:
                        self.on_notification(now, message)
                    with self.cond:
                        self.notifications.append((now, message))
                        self.cond.notify_all()
                    continue
                rid = message.get("id")
                # The callback runs first, so a waiter sees the record it fills in.
                if self.on_response:
                    self.on_response(rid, now, message)
                with self.cond:
                    self.responses[rid] = (now, message)
                    self.cond.notify_all()
        except (EOFError, ValueError, OSError):
            pass
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _read_stderr(self) -> None:
        for raw in self.proc.stderr:
            line = re.sub(r"\x1b\[[0-9;]*m", "", raw.decode("utf-8", "replace")).rstrip()
            with self.cond:
                self.log_lines.append((time.monotonic(), line))

    def close(self) -> None:
        """`shutdown` and `exit`, then waits for the process (kills it after 5 s)."""
        try:
            self.call("shutdown", None, timeout=5)
            self.notify("exit", None)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
