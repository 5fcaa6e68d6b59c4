#!/usr/bin/env python3
"""Keystroke latency replay against `infill lsp --stdio` (stdlib only, stdio only).

Builds a small multi-file project (examples/demo plus a handful of real modules from the
`requests` 2.32.3 sdist), starts the server on it as an editor would, and replays typing: for each
of N target lines in different files it opens the file with the line cut short (everything after
the line kept) and types the rest of the line one character at a time with incremental
`didChange`, sending `textDocument/inlineCompletion` after every character.

* The first keystroke in a file is followed by a pause until its answer arrives (at most
  --first-timeout): that request prefills the file's whole prompt window (up to 6000 bytes, some
  1500-2000 tokens, tens of seconds on a small CPU), and a user who typed on would only see every
  later request superseded behind it. Its latency is the "first request" figure.
* Every later keystroke comes after a seeded pause of 60-180 ms and never waits for an answer:
  the server supersedes the previous request itself and answers it with -32800.

With `--new-function K`, each target is a function of a `requests` module emptied to its `def`
line, into which the user types the first K keystrokes of its real body (docstring left out; a
newline and the next line's indentation are one keystroke, as with an editor's auto-indent): code
the user writes anew, in a file we did not write.

With `--focus-pause S`, each file is opened, `infill/didFocus` is sent at the target position
(as the Neovim and VS Code plugins do when a file is shown or the cursor rests) and the user
pauses S seconds before typing: the server prefetches the prompt meanwhile.

Then it measures cancellation: a completion at a fresh position (the end of a block-opening line
near the top of a file the replay did not type in, after one unmeasured warm-up request there),
`$/cancelRequest` after ~150 ms, and `infill/status` polled every 2 ms until `engine_busy` is 0.

Per request it records keystroke-to-response latency, whether the request was superseded,
whether it was the first in its file, the server's `infill/status` right after each response, and
the server's `$/infill/trace` notification for it (sent after every completion it answers, because
`initialize` asks for `trace: "verbose"`): where the answer came from (`engine`, `typed_through`,
`cache` or none) and, for the engine, the prompt, computed and generated tokens.
Everything is bounded by --max-seconds: what is not done by then is left out of the table.

The JSON-RPC client is lsp_client.py, next to this script.

With `--backend llamacpp` the same replay runs against a llama.cpp server (llama-cpp-python's,
from scripts/setup-llamacpp-server) that the script starts on a free loopback port with the same
GGUF file, the GGUF's context length and as many threads as CPUs, and hands to Infill as
`initializationOptions` `{"engine": {"backend": "openai", ...}}`. `--backend both` runs the
embedded engine and the llama.cpp server one after the other (`--runs N` times each,
alternating) and ends with one table of the medians.

Usage:
  python3 scripts/bench/latency_replay.py [--targets 6] [--seed 7] [--json out.json]
  python3 scripts/bench/latency_replay.py --backend both --runs 3

The sdist is read from --sdist, else ~/.cache/infill-bench/requests-2.32.3.tar.gz, which is
fetched once with `pip download --no-deps --no-binary :all: requests==2.32.3` if missing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from lsp_client import TRACE_METHOD, Server

REPO = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "infill-target"))
DEFAULT_BINARY = TARGET / "release" / "infill"
SDIST_NAME = "requests-2.32.3.tar.gz"
SDIST_CACHE = Path.home() / ".cache" / "infill-bench" / SDIST_NAME
REQUESTS_FILES = ["models.py", "sessions.py", "utils.py", "adapters.py", "auth.py", "cookies.py",
                  "structures.py"]
CANCELLED = -32800
TARGETS = {"follow_p50_ms": 400, "follow_p95_ms": 1000, "computed_tokens": 32, "cancel_idle_ms": 50}


# --------------------------------------------------------------------------------------------
# The project


def fetch_sdist(path: Path | None) -> Path:
    if path:
        return path
    if not SDIST_CACHE.exists():
        SDIST_CACHE.parent.mkdir(parents=True, exist_ok=True)
        print(f"fetching {SDIST_NAME} with pip into {SDIST_CACHE.parent}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "requests==2.32.3", "-d", str(SDIST_CACHE.parent)], check=True,
                       stdout=subprocess.DEVNULL, timeout=300)
    return SDIST_CACHE


def build_project(root: Path, sdist: Path) -> list[str]:
    """Copies examples/demo and some requests modules under `root`; returns relative paths."""
    files = []
    for source in sorted((REPO / "examples" / "demo").rglob("*.py")):
        relative = Path("demo") / source.relative_to(REPO / "examples" / "demo")
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / relative)
        files.append(str(relative))
    with tarfile.open(sdist) as archive:
        for name in REQUESTS_FILES:
            member = archive.getmember(f"requests-2.32.3/src/requests/{name}")
            data = archive.extractfile(member).read()
            relative = Path("requests") / name
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(data)
            files.append(str(relative))
    return files


def code_lines(text: str) -> list[int]:
    """Indices of lines that are plain code (not blank, comment, decorator or docstring)."""
    result = []
    in_doc = False
    for index, line in enumerate(text.split("\n")):
        stripped = line.strip()
        quotes = stripped.count('"""') + stripped.count("'''")
        if in_doc:
            if quotes % 2 == 1:
                in_doc = False
            continue
        if quotes % 2 == 1:
            in_doc = True
            continue
        if quotes or not stripped or stripped.startswith(("#", "@")):
            continue
        if 20 <= len(stripped) <= 90 and not stripped.endswith(("\\", ",")):
            result.append(index)
    return result


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def pick_targets(root: Path, files: list[str], count: int, rng: random.Random) -> list[dict]:
    """One target line per file: a demo file first, then `requests` modules."""
    demo = [f for f in files if f.startswith("demo/")]
    others = [f for f in files if not f.startswith("demo/")]
    order = [rng.choice(demo)] + rng.sample(others, min(len(others), count - 1))
    targets = []
    for path in order[:count]:
        text = (root / path).read_text(encoding="utf-8")
        lines = text.split("\n")
        candidates = [i for i in code_lines(text) if i >= min(30, len(lines) // 3)]
        index = rng.choice(candidates)
        line = lines[index]
        indent = len(line) - len(line.lstrip())
        body = len(line) - indent
        typed = rng.randint(8, min(20, body - 4))
        cut = len(line) - typed
        targets.append({"path": path, "line": index, "cut": cut, "full_line": line,
                        "before": "\n".join(lines[:index] + [line[:cut]]),
                        "after": "\n" + "\n".join(lines[index + 1:]),
                        "typed": line[cut:]})
    return targets


def keystrokes_of(text: str) -> list[str]:
    """The keys that type `text`: one per character, except that a newline and the next line's
    indentation are one keystroke (Enter, with the editor's auto-indent)."""
    keys: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == "\n":
            end = index + 1
            while end < len(text) and text[end] in " \t":
                end += 1
            keys.append(text[index:end])
            index = end
        else:
            keys.append(text[index])
            index += 1
    return keys


def function_spans(lines: list[str]) -> list[tuple[int, int]]:
    """(def line, end) of each function whose header fits one line: `end` is the first line
    after its body (the next line indented at or left of the `def`, blank lines aside)."""
    spans = []
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if not (stripped.startswith("def ") and stripped.rstrip().endswith(":")):
            continue
        indent = len(line) - len(stripped)
        end = index + 1
        while end < len(lines) and (not lines[end].strip()
                                    or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        while end > index + 1 and not lines[end - 1].strip():
            end -= 1
        spans.append((index, end))
    return spans


def body_code(body: list[str]) -> str:
    """A function body without its docstring and leading comment lines, from its first line of
    code (where completions are not suppressed)."""
    while body and (not body[0].strip() or body[0].lstrip().startswith("#")):
        body = body[1:]
    text = "\n".join(body)
    stripped = text.lstrip()
    for quote in ('"""', "'''"):
        if stripped.startswith(quote):
            close = stripped.find(quote, 3)
            if close < 0:
                return ""
            rest = stripped[close + 3:].split("\n")[1:]
            return body_code(rest)
    return stripped


def pick_new_function_targets(root: Path, files: list[str], count: int, keys: int,
                              rng: random.Random) -> list[dict]:
    """One target per `requests` module: a function of the file (code we did not write) is
    removed, body and all, but for its `def` line, and the user types the first `keys`
    keystrokes of its body (docstring left out) into the new, empty function."""
    others = [f for f in files if not f.startswith("demo/")]
    targets = []
    for path in rng.sample(others, min(len(others), count)):
        text = (root / path).read_text(encoding="utf-8")
        lines = text.split("\n")
        spans = []
        for start, end in function_spans(lines):
            code = body_code(lines[start + 1:end])
            if start >= 20 and len(keystrokes_of(code)) >= keys:
                spans.append((start, end, code))
        if not spans:
            continue
        start, end, code = rng.choice(spans)
        header = lines[start]
        indent = header[: len(header) - len(header.lstrip())] + "    "
        typed = keystrokes_of(code)[:keys]
        targets.append({"path": path, "line": start + 1, "cut": len(indent),
                        "full_line": header,
                        "before": "\n".join(lines[: start + 1] + [indent]),
                        "after": "\n" + "\n".join(lines[end:]),
                        "typed": typed})
    return targets


# --------------------------------------------------------------------------------------------
# Replay


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)  # nearest rank
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


class Deadline:
    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds

    def left(self, cap: float) -> float:
        return max(0.0, min(cap, self.at - time.monotonic()))

    def passed(self) -> bool:
        return time.monotonic() >= self.at


def status(server: Server) -> dict:
    return server.call("infill/status", None, timeout=10)


def wait_ready(server: Server, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        engine = status(server)["engine"]
        if engine == "ready":
            return time.monotonic() - started
        if engine.startswith("unavailable"):
            raise SystemExit(f"engine {engine}")
        time.sleep(0.2)
    raise SystemExit(f"the engine was not ready after {timeout} s")


def busy(server: Server) -> int | None:
    """`engine_busy` from `infill/status`, or None when the status did not come in 10 s."""
    try:
        return status(server)["engine_busy"]
    except TimeoutError:
        return None


def wait_idle(server: Server, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if busy(server) == 0:
            return True
        time.sleep(0.01)
    return False


def inline_params(uri: str, line: int, character: int) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
            "context": {"triggerKind": 2}}


def replay(server: Server, root: Path, targets: list[dict], rng: random.Random, args) -> list[dict]:
    records: list[dict] = []
    by_id: dict[int, dict] = {}
    lock = threading.Lock()

    def on_response(rid, t, message):
        with lock:
            record = by_id.get(rid)
        if record is None:
            return
        record["t_response"] = t
        record["latency_ms"] = (t - record["t_key"]) * 1000
        if "error" in message:
            record["error"] = message["error"].get("code")
            record["superseded"] = message["error"].get("code") == CANCELLED
        else:
            items = message.get("result") or []
            if isinstance(items, dict):
                items = items.get("items", [])
            record["superseded"] = False
            record["text"] = items[0]["insertText"] if items else None
            # infill/status right after each answered completion (read in a helper thread).
            sid, _ = server.request("infill/status", None)
            record["status_id"] = sid

    server.on_response = on_response
    deadline: Deadline = args.deadline
    for number, target in enumerate(targets):
        if deadline.passed():
            print(f"  --max-seconds reached: skipping targets {number + 1}..", file=sys.stderr)
            break
        uri = (root / target["path"]).as_uri()
        text = target["before"] + target["after"]
        version = 1
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version, "text": text}})
        line = target["line"]
        character = utf16_len(target["before"].split("\n")[-1])
        time.sleep(0.3)  # the editor shows the file before the first keystroke
        if args.focus_pause > 0:
            # A plugin says where the cursor rests; the user reads for a while before typing.
            server.notify("infill/didFocus", {"textDocument": {"uri": uri},
                                              "position": {"line": line, "character": character}})
            time.sleep(deadline.left(args.focus_pause))
        next_key = time.monotonic()
        pending = []
        # Until the file's first cold request is answered, the user pauses after each keystroke
        # for its answer: quick empty answers (a suppressed cursor, e.g. inside a string) keep
        # the pause going; the first answer with a suggestion, or one that took over
        # --cold-ms, or a wait that timed out, ends it. That request is the file's "first".
        warming = True
        for index, char in enumerate(target["typed"]):
            now = time.monotonic()
            if next_key > now:
                time.sleep(next_key - now)
            version += 1
            server.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": line, "character": character},
                                              "end": {"line": line, "character": character}},
                                    "text": char}]})
            if "\n" in char:  # Enter: the cursor moves to the new line, after its indentation
                line += char.count("\n")
                character = utf16_len(char.rsplit("\n", 1)[1])
            else:
                character += utf16_len(char)
            rid = server.reserve_id()
            record = {"target": number, "file": target["path"], "first": False,
                      "phase": "warming" if warming else "follow", "char": index, "id": rid,
                      "t_key": time.monotonic(), "version": version}
            with lock:
                by_id[rid] = record
            records.append(record)
            _, sent = server.request("textDocument/inlineCompletion",
                                     inline_params(uri, line, character), rid=rid)
            record["t_key"] = sent
            pending.append(rid)
            if warming:
                got = server.wait(rid, deadline.left(args.first_timeout))
                waited = (time.monotonic() - sent) * 1000
                if got is None or record.get("text") or waited > args.cold_ms:
                    warming = False
                    record["first"] = True
                    record["phase"] = "first"
                sent = time.monotonic()
            next_key = sent + rng.uniform(args.min_pause, args.max_pause)
            # The next keystroke's time; responses arriving after it may be stale.
            record["t_next_key"] = next_key if index + 1 < len(target["typed"]) else None
        for rid in pending:
            server.wait(rid, deadline.left(args.response_timeout))
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        mine = [r for r in records if r["target"] == number]
        answered = [r for r in mine if r.get("superseded") is False]
        first = next((r for r in mine if r["first"]), {})
        print(f"  target {number + 1}/{len(targets)} {target['path']}:{line + 1} typed "
              f"{len(target['typed'])} chars: {len(answered)} answered; first request (char "
              f"{first.get('char')}) {fmt(first.get('latency_ms'), ' ms')}", file=sys.stderr)
        if not wait_idle(server, deadline.left(args.response_timeout)):
            print("  warning: the engine stayed busy after the target", file=sys.stderr)
    server.on_response = None
    for record in records:  # answers that came after the callback was removed
        if "superseded" not in record and record["id"] in server.responses:
            t, message = server.responses[record["id"]]
            on_response(record["id"], t, message)
    # Status snapshots taken after each response.
    for record in records:
        sid = record.get("status_id")
        if sid is not None:
            got = server.wait(sid, 10)
            if got and "result" in got[1]:
                record["status"] = got[1]["result"]["stats"]
    return records


def attach_traces(records: list[dict], root: Path, traces: list[tuple[float, dict]]) -> None:
    """Files each `$/infill/trace` notification under the request it reports on. Every
    keystroke bumps its document's version and sends one completion, so a trace's uri and
    version name exactly one record."""
    by_key: dict[tuple[str, int], list[dict]] = {}
    for _, message in traces:
        params = message.get("params") or {}
        by_key.setdefault((params.get("uri"), params.get("version")), []).append(params)
    for record in records:
        found = by_key.get(((root / record["file"]).as_uri(), record["version"]))
        if found:
            record["trace"] = found.pop(0)


# Trace sources of a new generation: the full prompt, or the short prompt of a fast first answer.
ENGINE_SOURCES = ("engine", "short_prompt")


def engine_tokens(record: dict, field: str) -> int | None:
    """`prompt_tokens` or `computed_tokens` of the record's trace, when the engine answered."""
    trace = record.get("trace") or {}
    return trace.get(field) if trace.get("source") in ENGINE_SOURCES else None


def cancellation(server: Server, root: Path, path: str, args) -> list[dict]:
    """Cancel-to-idle: completion at a fresh position (the end of a block-opening line, so the
    model writes several lines), `$/cancelRequest` after ~150 ms, then `infill/status` every
    2 ms until `engine_busy` is 0."""
    uri = (root / path).as_uri()
    text = (root / path).read_text(encoding="utf-8")
    lines = text.split("\n")
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}})
    offsets, total = [], 0
    for line in lines:
        offsets.append(total)
        total += len(line.encode("utf-8")) + 1
    # Block openers near the top: a short cold prompt for the warm-up, and a multi-line answer
    # (the model is still decoding when the cancel arrives).
    openers = [i for i in code_lines(text) if lines[i].rstrip().endswith(":") and 10 <= i
               and offsets[i] < args.cancel_max_offset]
    positions = openers[: args.cancel_trials + 1]
    deadline: Deadline = args.deadline
    trials = []
    for number, index in enumerate(positions):
        if deadline.passed():
            print("  --max-seconds reached: no more cancel trials", file=sys.stderr)
            break
        if not wait_idle(server, deadline.left(args.response_timeout)):
            print("  the engine is still busy: no more cancel trials", file=sys.stderr)
            break
        params = inline_params(uri, index, utf16_len(lines[index]))
        rid, sent = server.request("textDocument/inlineCompletion", params)
        if number == 0:  # warm-up: the file's first prompt fills the prefix cache
            server.wait(rid, deadline.left(args.first_timeout))
            continue
        time.sleep(args.cancel_after)
        answered_before = server.wait(rid, 0) is not None
        busy_before = busy(server)
        cancel_at = time.monotonic()
        server.notify("$/cancelRequest", {"id": rid})
        polls = 0
        idle_ms = None
        limit = deadline.left(args.response_timeout)
        while time.monotonic() - cancel_at < limit:
            polls += 1
            if busy(server) == 0:
                idle_ms = (time.monotonic() - cancel_at) * 1000
                break
            time.sleep(0.002)
        got = server.wait(rid, deadline.left(args.response_timeout))
        reply = None
        if got:
            message = got[1]
            reply = message["error"]["code"] if "error" in message else "result"
        trials.append({"line": index + 1, "answered_before_cancel": answered_before,
                       "busy_at_cancel": busy_before, "cancel_to_idle_ms": idle_ms, "polls": polls,
                       "reply": reply,
                       "reply_after_cancel_ms": (got[0] - cancel_at) * 1000 if got else None})
        print(f"  cancel trial {len(trials)}: line {index + 1}, busy {busy_before}, answered before "
              f"cancel {answered_before}, idle after {fmt(idle_ms, ' ms')}, reply {reply} after "
              f"{fmt(trials[-1]['reply_after_cancel_ms'], ' ms')}", file=sys.stderr)
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return trials


def fmt(value, unit="") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}{unit}"
    return f"{value}{unit}"


def classify(record: dict) -> str:
    """An answered request's kind, from its trace's `source`: `engine` (a suggestion the engine
    generated, from the full prompt or, while that was cold, a short one), `reuse` (a suggestion
    from typed-through or the identical-request cache) or `empty` (no suggestion: suppressed,
    nothing left after post-processing, or stale)."""
    if record.get("text"):
        source = (record.get("trace") or {}).get("source")
        return "engine" if source in ENGINE_SOURCES else "reuse"
    return "empty"


def pct(values: list[float]) -> str:
    return f"{fmt(percentile(values, 50), ' ms')} / {fmt(percentile(values, 95), ' ms')}"


def report(records: list[dict], trials: list[dict], final: dict, args, elapsed: float, ready_s: float) -> dict:
    def answered(rs):
        return [r for r in rs if r.get("superseded") is False]

    first = [r for r in records if r["first"]]
    warming = [r for r in records if r["phase"] == "warming"]
    follow = [r for r in records if r["phase"] == "follow"]
    first_ok = answered(first)
    follow_ok = answered(follow)
    superseded = [r for r in records if r.get("superseded")]
    unanswered = [r for r in records if "superseded" not in r]
    follow_lat = [r["latency_ms"] for r in follow_ok]
    first_lat = [r["latency_ms"] for r in first_ok]
    by_kind = {kind: [r for r in follow_ok if classify(r) == kind] for kind in ("engine", "reuse", "empty")}
    first_computed = [c for r in first_ok if (c := engine_tokens(r, "computed_tokens")) is not None]
    computed_engine = [c for r in by_kind["engine"] if (c := engine_tokens(r, "computed_tokens")) is not None]
    prompt_engine = [p for r in by_kind["engine"] if (p := engine_tokens(r, "prompt_tokens")) is not None]
    idle = [t["cancel_to_idle_ms"] for t in trials if t["cancel_to_idle_ms"] is not None]
    in_flight = [t for t in trials if t["busy_at_cancel"] and not t["answered_before_cancel"]]
    stale = [r for r in follow_ok if not r.get("text") and r.get("t_next_key") and r["t_response"] > r["t_next_key"]]
    median = lambda values: statistics.median(values) if values else None  # noqa: E731

    def verdict(value, target):
        if value is None:
            return "–"
        return "meets" if value <= target else "misses"

    rows = [
        ("first request p50 / p95 (answered)", pct(first_lat), f"n={len(first_ok)} of {len(first)}", ""),
        ("first request computed prompt tokens (median)", fmt(median(first_computed)),
         f"n={len(first_computed)}", ""),
        ("follow-up p50 (answered, not superseded)", fmt(percentile(follow_lat, 50), " ms"),
         f"n={len(follow_ok)} of {len(follow)}",
         f"≤ {TARGETS['follow_p50_ms']} ms: {verdict(percentile(follow_lat, 50), TARGETS['follow_p50_ms'])}"),
        ("follow-up p95 (answered, not superseded)", fmt(percentile(follow_lat, 95), " ms"),
         f"n={len(follow_ok)} of {len(follow)}",
         f"≤ {TARGETS['follow_p95_ms']} ms: {verdict(percentile(follow_lat, 95), TARGETS['follow_p95_ms'])}"),
        ("↳ follow-ups answered by the engine p50 / p95", pct([r["latency_ms"] for r in by_kind["engine"]]),
         f"n={len(by_kind['engine'])}", ""),
        ("↳ follow-ups answered by reuse (typed-through/cache) p50 / p95",
         pct([r["latency_ms"] for r in by_kind["reuse"]]), f"n={len(by_kind['reuse'])}", ""),
        ("↳ follow-ups answered empty p50 / p95", pct([r["latency_ms"] for r in by_kind["empty"]]),
         f"n={len(by_kind['empty'])}", ""),
        ("share superseded (-32800), all requests", f"{len(superseded) / len(records):.0%}" if records else "–",
         f"{len(superseded)} of {len(records)}", ""),
        ("median computed prompt tokens per engine follow-up", fmt(median(computed_engine)),
         f"n={len(computed_engine)}; median prompt {fmt(median(prompt_engine))} tok",
         f"≤ {TARGETS['computed_tokens']}: {verdict(median(computed_engine), TARGETS['computed_tokens'])}"),
        ("cancel-to-idle median", fmt(median(idle), " ms"),
         f"n={len(idle)} of {len(trials)} trials; in flight at the cancel in {len(in_flight)}",
         f"≤ {TARGETS['cancel_idle_ms']} ms: {verdict(median(idle), TARGETS['cancel_idle_ms'])}"),
    ]
    print()
    print("| metric | value | n / note | target |")
    print("|---|---:|---|---|")
    for name, value, note, target in rows:
        print(f"| {name} | {value} | {note} | {target} |")
    print()
    print(f"- requests {len(records)}: answered {len(answered(records))} (with a suggestion "
          f"{sum(1 for r in records if r.get('text'))}), superseded {len(superseded)}, "
          f"other errors {sum(1 for r in records if r.get('error') not in (None, CANCELLED))}, "
          f"no answer {len(unanswered)}; quick empty answers before a file's first request "
          f"(suppressed cursor) {len(answered(warming))}; follow-ups answered empty after the next "
          f"keystroke (possibly stale) {len(stale)}")
    if final:
        stats = final.get("stats", {})
        print(f"- server stats: requests {stats.get('requests')}, suggestions {stats.get('suggestions')} "
              f"(engine {stats.get('engine_requests')}, of them from a short prompt {stats.get('short_prompt')}, "
              f"typed_through {stats.get('typed_through')}, "
              f"cache_hits {stats.get('cache_hits')}), median_latency_ms {stats.get('median_latency_ms')}")
    if trials:
        print("- cancel trials (ms from $/cancelRequest): idle after "
              + ", ".join(fmt(t["cancel_to_idle_ms"]) for t in trials)
              + "; -32800 reply after " + ", ".join(fmt(t["reply_after_cancel_ms"]) for t in trials))
    print(f"- engine ready after {ready_s:.1f} s; whole run {elapsed:.0f} s; seed {args.seed}, "
          f"{args.targets} targets, pauses {int(args.min_pause * 1000)}–{int(args.max_pause * 1000)} ms")
    if args.verbose:
        print()
        print("| target | file:line | typed | answered / superseded / none | first (ms, computed) | follow-ups: kind ms (computed) |")
        print("|---|---|---|---|---|---|")
        for target in sorted({r["target"] for r in records}):
            rs = [r for r in records if r["target"] == target]
            ok = [r for r in rs if r.get("superseded") is False]
            head = next((r for r in rs if r["first"]), {})
            head_computed = engine_tokens(head, "computed_tokens")
            head_text = (f"{fmt(head.get('latency_ms'))} ({head_computed})" if head_computed is not None
                         else f"{fmt(head.get('latency_ms'))} ({'superseded' if head.get('superseded') else 'no engine trace'})")
            follows = ", ".join(
                f"{classify(r)} {fmt(r['latency_ms'])}"
                + (f" ({c})" if (c := engine_tokens(r, "computed_tokens")) is not None else "")
                for r in ok if r["phase"] == "follow")
            print(f"| {target + 1} | {rs[0]['file']}:{rs[0].get('line', '')} | {len(rs)} chars | "
                  f"{len(ok)} / {sum(1 for r in rs if r.get('superseded'))} / "
                  f"{sum(1 for r in rs if 'superseded' not in r)} | {head_text} | {follows} |")
    summary = {
        "first_p50_ms": percentile(first_lat, 50), "first_p95_ms": percentile(first_lat, 95),
        "first_n": len(first_ok), "first_computed": median(first_computed),
        "follow_p50_ms": percentile(follow_lat, 50), "follow_p95_ms": percentile(follow_lat, 95),
        "follow_answered": len(follow_ok), "follow_total": len(follow),
        "engine_p50_ms": percentile([r["latency_ms"] for r in by_kind["engine"]], 50),
        "engine_p95_ms": percentile([r["latency_ms"] for r in by_kind["engine"]], 95),
        "engine_n": len(by_kind["engine"]), "reuse_n": len(by_kind["reuse"]),
        "empty_n": len(by_kind["empty"]),
        "superseded_share": len(superseded) / len(records) if records else None,
        "computed_median": median(computed_engine), "prompt_median": median(prompt_engine),
        "cancel_idle_ms": median(idle), "cancel_n": len(idle),
    }
    return {"rows": rows, "trials": trials, "summary": summary}


# --------------------------------------------------------------------------------------------
# Backends: the in-process engine, or a llama.cpp server this script starts


def gguf_context_length(path: Path) -> int | None:
    """`<arch>.context_length` from a GGUF file's metadata (what the embedded engine uses when
    `[model] context_length` is unset), or None when the file does not say."""
    scalars = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
               11: "<q", 12: "<d"}

    with open(path, "rb") as f:
        def read(fmt: str):
            size = struct.calcsize(fmt)
            data = f.read(size)
            if len(data) != size:
                raise ValueError(f"{path}: truncated GGUF metadata")
            return struct.unpack(fmt, data)[0]

        def string() -> str:
            return f.read(read("<Q")).decode("utf-8", "replace")

        def value(kind: int):
            if kind in scalars:
                return read(scalars[kind])
            if kind == 8:
                return string()
            if kind == 9:
                item, count = read("<I"), read("<Q")
                if item in scalars:  # skipped: only scalars are wanted
                    f.seek(struct.calcsize(scalars[item]) * count, os.SEEK_CUR)
                else:
                    for _ in range(count):
                        value(item)
                return None
            raise ValueError(f"{path}: unknown GGUF value type {kind}")

        if f.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        if read("<I") < 2:
            raise ValueError(f"{path}: GGUF version 1 is not supported")
        read("<Q")  # tensors
        for _ in range(read("<Q")):
            key = string()
            found = value(read("<I"))
            if key.endswith(".context_length") and isinstance(found, int):
                return found
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def llamacpp_python(given: str | None) -> str:
    """The python of a venv with llama-cpp-python[server]: --llamacpp-python, else
    $INFILL_LLAMACPP_PYTHON, else what scripts/setup-llamacpp-server prints (it installs it once)."""
    python = given or os.environ.get("INFILL_LLAMACPP_PYTHON")
    if not python:
        print("finding llama-cpp-python with scripts/setup-llamacpp-server", file=sys.stderr)
        python = subprocess.run([str(REPO / "scripts" / "setup-llamacpp-server")], check=True,
                                stdout=subprocess.PIPE, text=True).stdout.strip()
    if not Path(python).is_file():
        raise SystemExit(f"no llama.cpp server python at {python}")
    return python


class LlamaCppServer:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port, serving one GGUF file
    with the context length and thread count given; stopped by close()."""

    def __init__(self, python: str, model: Path, n_ctx: int, threads: int, alias: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.alias = alias
        self.command = [python, "-m", "llama_cpp.server", "--model", str(model),
                        "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
                        "--n_threads", str(threads), "--n_threads_batch", str(threads),
                        "--model_alias", alias, "--verbose", "False"]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log)

    def log_tail(self, lines: int = 20) -> str:
        self.log.seek(0)
        return "\n".join(self.log.read().decode("utf-8", "replace").splitlines()[-lines:])

    def wait_ready(self, timeout: float) -> float:
        """Seconds until `GET /v1/models` answers 200 (the model is loaded and served)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"the llama.cpp server exited with {self.proc.returncode}:\n"
                                 f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/v1/models", timeout=5) as answer:
                    if answer.status == 200:
                        return time.monotonic() - started
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise SystemExit(f"the llama.cpp server did not answer on {self.url} in {timeout} s:\n"
                         f"{self.log_tail()}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def json_object(text: str) -> dict:
    """--init-options: a JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("a JSON object is needed, e.g. '{\"engine\": {...}}'")
    return value


def merge(base: dict, extra: dict) -> dict:
    """`extra` merged into a copy of `base`, nested objects key by key."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --------------------------------------------------------------------------------------------
# One run, and the comparison of several


def run_once(args, backend: str, sdist: Path, label: str) -> dict:
    """One replay (targets, then cancellation) against a fresh server and project; prints its
    table and returns its summary."""
    rng = random.Random(args.seed)  # every run types the same targets with the same pauses
    args.deadline = Deadline(args.max_seconds)
    load_before = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="infill-replay-"))
    started = time.monotonic()
    server = None
    llama = None
    options = dict(args.init_options)
    try:
        files = build_project(root, sdist)
        if args.new_function:
            targets = pick_new_function_targets(root, files, args.targets, args.new_function, rng)
        else:
            targets = pick_targets(root, files, args.targets, rng)
        if backend == "llamacpp":
            llama = LlamaCppServer(args.llamacpp_python, args.model, args.n_ctx, args.threads,
                                   args.model.stem)
            llama_s = llama.wait_ready(args.ready_timeout)
            print(f"{label + ': ' if label else ''}llama.cpp server ready after {llama_s:.1f} s on {llama.url} "
                  f"(n_ctx {args.n_ctx}, {args.threads} threads)", file=sys.stderr)
            options = merge({"engine": {
                "backend": "openai", "endpoints": [f"{llama.url}/v1"], "model": llama.alias,
                "context_length": args.n_ctx,
                # The user waits up to --first-timeout for a file's first (cold) answer.
                "first_byte_timeout_ms": int(args.first_timeout * 1000)}}, options)
        env = dict(os.environ, INFILL_LOG=args.log)
        server = Server([str(args.binary), "lsp", "--stdio"], cwd=root, env=env)
        params = {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            # Asks for a `$/infill/trace` notification after every completion (per-request stats).
            "trace": "verbose",
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"textDocument": {"inlineCompletion": {}},
                             "general": {"positionEncodings": ["utf-16"]}},
        }
        if options:
            params["initializationOptions"] = options
        server.call("initialize", params, timeout=30)
        server.notify("initialized", {})
        ready_s = wait_ready(server, args.ready_timeout)
        engine = status(server).get("capabilities") or {}
        print(f"{label + ': ' if label else ''}engine ready after {ready_s:.1f} s ({engine.get('name')}, family "
              f"{engine.get('family')}, context {engine.get('context_length')}); project {root} "
              f"({len(files)} files)", file=sys.stderr)
        records = replay(server, root, targets, rng, args)
        for record in records:
            record["line"] = targets[record["target"]]["line"] + 1
        used = {t["path"] for t in targets}
        spare = [f for f in files if f.startswith("requests/") and f not in used] or ["requests/sessions.py"]
        trials = cancellation(server, root, spare[0], args)
        final = status(server)
        # Every trace was sent right after its answer, long before the final status.
        attach_traces(records, root, server.notifications_of(TRACE_METHOD))
        elapsed = time.monotonic() - started
        if label:
            print(f"\n### {label}")
        result = report(records, trials, final, args, elapsed, ready_s)
        load_after = os.getloadavg()
        print(f"- load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/"
              f"{load_before[2]:.1f}, after {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f} "
              f"on {os.cpu_count()} CPUs")
        print(f"- backend {backend}: {engine.get('name')}, family {engine.get('family')}, context "
              f"{engine.get('context_length')}"
              + (f"; llama.cpp server: {' '.join(llama.command[1:])}" if llama else ""))
        summary = dict(result["summary"], backend=backend, elapsed_s=elapsed,
                       load_before=load_before[0], load_after=load_after[0])
        log_tail = [line for _, line in server.log_lines[-200:]]
        for record in records:
            record.pop("status_id", None)
        return {"backend": backend, "summary": summary, "engine": engine, "options": options,
                "targets": [{k: t[k] for k in ("path", "line", "cut", "typed")} for t in targets],
                "records": records, "cancel": trials, "final_status": final, "log_tail": log_tail,
                "cancel_file": spare[0]}
    finally:
        if server:
            server.close()
        if llama:
            llama.close()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def compare(runs: list[dict]) -> None:
    """One row per backend: the median over its runs of each run's figure."""
    def cell(backend_runs: list[dict], key: str, unit: str = " ms") -> str:
        values = [r["summary"][key] for r in backend_runs if r["summary"][key] is not None]
        if not values:
            return "–"
        middle = statistics.median(values)
        each = ", ".join(f"{v:.0f}" for v in values)
        return f"{middle:.0f}{unit}" + (f" ({each})" if len(values) > 1 else "")

    def share(backend_runs: list[dict]) -> str:
        values = [r["summary"]["superseded_share"] for r in backend_runs
                  if r["summary"]["superseded_share"] is not None]
        return f"{statistics.median(values):.0%}" if values else "–"

    print()
    print(f"## Comparison: median of each figure over the runs (each run's value in brackets)")
    print()
    print("| backend | runs | follow-up p50 | follow-up p95 | engine follow-ups p50 / p95 | "
          "answered follow-ups | first request in a file p50 / p95 | cancel-to-idle | superseded |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend in ("embedded", "llamacpp"):
        mine = [r for r in runs if r["backend"] == backend]
        if not mine:
            continue
        answered = ", ".join(f"{r['summary']['follow_answered']}/{r['summary']['follow_total']}"
                             for r in mine)
        print(f"| {backend} | {len(mine)} | {cell(mine, 'follow_p50_ms')} | "
              f"{cell(mine, 'follow_p95_ms')} | {cell(mine, 'engine_p50_ms', '')} / "
              f"{cell(mine, 'engine_p95_ms')} | {answered} | {cell(mine, 'first_p50_ms', '')} / "
              f"{cell(mine, 'first_p95_ms')} | {cell(mine, 'cancel_idle_ms')} | {share(mine)} |")
    print()
    print("- order of the runs: " + ", ".join(r["backend"] for r in runs)
          + "; load average (1 min) at the start of each: "
          + ", ".join(f"{r['summary']['load_before']:.1f}" for r in runs))
    if any(r["backend"] == "llamacpp" for r in runs):
        print("- llama.cpp: cancel-to-idle is Infill's side (the HTTP connection closed); "
              "llama-cpp-python reports no cached prompt tokens, so its computed tokens are "
              "the whole prompt")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=DEFAULT_BINARY)
    parser.add_argument("--sdist", type=Path, default=None)
    parser.add_argument("--targets", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-pause", type=float, default=0.06)
    parser.add_argument("--max-pause", type=float, default=0.18)
    parser.add_argument("--cancel-trials", type=int, default=6)
    parser.add_argument("--cancel-after", type=float, default=0.15)
    parser.add_argument("--response-timeout", type=float, default=60.0)
    parser.add_argument("--first-timeout", type=float, default=180.0,
                        help="how long the user pauses after a file's first keystroke, at most")
    parser.add_argument("--cold-ms", type=float, default=1000.0,
                        help="an answer slower than this ends a file's warming pause")
    parser.add_argument("--cancel-max-offset", type=int, default=3000,
                        help="cancel trials use lines starting before this byte offset")
    parser.add_argument("--max-seconds", type=float, default=1200.0, help="bound on each replay")
    parser.add_argument("--new-function", type=int, default=0, metavar="K",
                        help="held-out typing: in each file, a function of the file is emptied to its "
                             "def line and the user types the first K keystrokes of its body")
    parser.add_argument("--focus-pause", type=float, default=0.0, metavar="S",
                        help="after opening each file, send infill/didFocus at the target (as the "
                             "plugins do) and pause S seconds before typing")
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    parser.add_argument("--log", default="warn", help="INFILL_LOG for the server (its stderr goes "
                        "to the --json file's log_tail)")
    parser.add_argument("--backend", choices=["embedded", "llamacpp", "both"], default="embedded",
                        help="embedded: the model in process (default); llamacpp: a llama.cpp "
                        "server started here with the same GGUF, as [engine] backend = \"openai\"; "
                        "both: one after the other, then a table comparing them")
    parser.add_argument("--runs", type=int, default=1,
                        help="replays per backend (with both: alternating, embedded first); more "
                        "than one adds a table of medians")
    parser.add_argument("--init-options", type=json_object, default={}, metavar="JSON",
                        help="initializationOptions for the server (the configuration's shape); "
                        "with llamacpp, merged over the [engine] options the script sets")
    parser.add_argument("--model", type=Path, default=None,
                        help="GGUF file for llamacpp (default: the default model, "
                        "~/.cache/infill/models/SmolLM2-135M-Instruct.Q8_0.gguf)")
    parser.add_argument("--llamacpp-python", default=None,
                        help="python with llama-cpp-python[server] (default: "
                        "$INFILL_LLAMACPP_PYTHON, else scripts/setup-llamacpp-server)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="llama.cpp threads, prompt and decode (default: the CPUs, as the "
                        "embedded engine uses)")
    parser.add_argument("--n-ctx", type=int, default=None,
                        help="llama.cpp context (default: the GGUF's, as the embedded engine uses)")
    parser.add_argument("--json", type=Path, default=None, help="write every record here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    parser.add_argument("-v", "--verbose", action="store_true", help="per-target table")
    args = parser.parse_args()

    if not args.binary.exists():
        raise SystemExit(f"{args.binary} is missing: cargo build --release -p infill")
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    backends = ["embedded", "llamacpp"] if args.backend == "both" else [args.backend]
    if "llamacpp" in backends:
        cache = Path(os.environ.get("INFILL_CACHE_DIR", Path.home() / ".cache" / "infill"))
        args.model = args.model or cache / "models" / "SmolLM2-135M-Instruct.Q8_0.gguf"
        if not args.model.is_file():
            raise SystemExit(f"{args.model} is missing: infill model fetch, or --model FILE")
        if args.n_ctx is None:
            try:
                args.n_ctx = gguf_context_length(args.model)
            except (OSError, ValueError, struct.error) as error:
                raise SystemExit(f"cannot read the context length: {error}") from None
            if args.n_ctx is None:
                raise SystemExit(f"{args.model} does not give its context length: pass --n-ctx")
        if args.threads < 1 or args.n_ctx < 1:
            raise SystemExit("--threads and --n-ctx must be positive")
        args.llamacpp_python = llamacpp_python(args.llamacpp_python)
    sdist = fetch_sdist(args.sdist)
    plan = [backend for _ in range(args.runs) for backend in backends]
    several = len(plan) > 1
    runs = []
    for number, backend in enumerate(plan):
        label = f"run {number + 1}/{len(plan)}: {backend}" if several else ""
        if several:
            print(f"\n{label}", file=sys.stderr)
        runs.append(run_once(args, backend, sdist, label))
    if several:
        compare(runs)
    print(f"\ncommand: {' '.join([os.path.basename(sys.executable), *sys.argv])}  "
          f"(binary {args.binary}, cancel file {runs[-1]['cancel_file']})")
    if args.json:
        saved = [{k: v for k, v in run.items() if k != "summary"} for run in runs]
        if several:
            args.json.write_text(json.dumps({"runs": [dict(r, summary=run["summary"])
                                                      for r, run in zip(saved, runs)]}, indent=1))
        else:
            args.json.write_text(json.dumps({k: saved[0][k] for k in (
                "targets", "records", "cancel", "final_status", "log_tail")}, indent=1))


if __name__ == "__main__":
    main()
