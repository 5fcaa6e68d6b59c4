#!/usr/bin/env python3
"""llama.cpp peer for Infill's engine benchmarks (docs/benchmarks.md).

Runs the same measurements as our engine through llama.cpp's Python binding
(llama-cpp-python), on a GGUF file, with 2 threads and greedy decoding (temperature 0), so the
numbers can sit next to ours in one table.

Setup:  scripts/bench/setup-llamacpp.sh          (venv at ~/.cache/infill-bench/venv)
Run:    ~/.cache/infill-bench/venv/bin/python scripts/bench/llamacpp_peer.py SUBCOMMAND MODEL ...

Subcommands
  speed MODEL   prompt tok/s: prefill of a --prompt-tokens (1500) token prompt on a cleared
                context (cold); decode tok/s: the next --decode-tokens (128) tokens, generated
                greedily right after that prefill (so decode runs at ~1500-1628 tokens of
                context). Median of --runs (3).
  ttft MODEL    time to first token (a completion call with max_tokens=1) for a 1500-token
                prompt, cold (cleared context) and warm: the previous request (a normal
                16-token completion) had the same prompt except that its last 50 tokens were
                different, so llama-cpp-python's automatic longest-common-prefix KV reuse keeps
                ~1450 tokens and evaluates ~50. Median of --runs (3).
  trace MODEL   the typing trace: the base prompt is the first ~2000 tokens of --prompt-file
                (cut at a character boundary), then the next 30 characters are typed one at a
                time; request k's prompt is base + the first k typed characters (k = 0 is cold,
                on a cleared context). Each request is the plain completion call
                llm(prompt, max_tokens=16, stop=["\\n"], temperature=0.0), the path with
                automatic KV prefix reuse. Per request: latency and prompt tokens evaluated;
                then cold latency and follow-up (k >= 1) p50 / p95 (nearest rank). With
                --runs N the whole trace is replayed N times and each request's latency is
                the median of its N runs.
  quantize IN OUT   llama.cpp's own quantizer (llama_model_quantize) with --type (q8_0),
                allowing requantization (the Q4_1 file as shipped is the only source).

"Cold" means a cleared context (Llama.reset(): no token of the previous request is reused and
the KV cache is overwritten from position 0), not a freshly allocated one, so no allocation or
model load is in any number. Prompt tokens evaluated are counted by wrapping Llama.eval: the
first eval call of a request carries exactly the prompt tokens that were not reused.

Output: a markdown table (default) or, with --json, one JSON object per line (per run/request
lines, then a "summary" line). Timings are wall clock (time.perf_counter) around the binding's
public calls; for speed the llama.cpp internal counters (llama_perf_context) are reported too.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROMPT_FILE = REPO_ROOT / "vendor/mistralrs-core/src/prefix_cacher.rs"


def import_llama_cpp():
    try:
        import llama_cpp  # noqa: PLC0415
    except ImportError:
        sys.exit(
            "llama_cpp is not importable: run scripts/bench/setup-llamacpp.sh and use "
            "~/.cache/infill-bench/venv/bin/python"
        )
    return llama_cpp


# --------------------------------------------------------------------------------------------
# Model handling


class Peer:
    """A loaded model plus the instrumentation the measurements need."""

    def __init__(self, model_path: str, threads: int, n_ctx: int, n_batch: int):
        self.lc = import_llama_cpp()
        t0 = time.perf_counter()
        self.llm = self.lc.Llama(
            model_path=model_path,
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            n_batch=n_batch,
            seed=0,
            verbose=False,
            logits_all=False,
        )
        self.load_s = time.perf_counter() - t0
        self.model_path = model_path
        # Count what each eval call feeds the model. The binding's generate() calls
        # self.eval(prompt_suffix) once, then self.eval([token]) per generated token.
        self.eval_calls: list[int] = []
        original_eval = self.llm.eval

        def counting_eval(tokens):
            self.eval_calls.append(len(tokens))
            return original_eval(tokens)

        self.llm.eval = counting_eval

    # Tokenization as the completion path does it for plain text (no BOS added here: the
    # binding adds the model's BOS itself when the model asks for one).
    def tokenize(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def prompt_tokens(self, text: str) -> list[int]:
        """The token list the completion path evaluates for this prompt."""
        return self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)

    def cut(self, text: str, n_tokens: int) -> int:
        """Character index where `text` holds ~n_tokens tokens (a character boundary)."""
        toks = self.tokenize(text)
        if len(toks) < n_tokens:
            raise ValueError(f"prompt text has only {len(toks)} tokens, {n_tokens} needed")
        prefix = self.llm.detokenize(toks[:n_tokens]).decode("utf-8", errors="ignore")
        # The detokenized prefix is the text prefix except for a possibly split character.
        c = len(prefix)
        while c > 0 and not text.startswith(prefix[:c]):
            c -= 1
        return c

    def begin_request(self):
        self.eval_calls.clear()

    def evaluated_prompt_tokens(self) -> int | None:
        return self.eval_calls[0] if self.eval_calls else None

    def ctx_ptr(self):
        ctx = getattr(self.llm, "_ctx", None)
        return getattr(ctx, "ctx", None) if ctx is not None else getattr(self.llm, "ctx", None)

    def perf_reset(self):
        ptr = self.ctx_ptr()
        if ptr is not None and hasattr(self.lc, "llama_perf_context_reset"):
            self.lc.llama_perf_context_reset(ptr)

    def perf(self) -> dict | None:
        ptr = self.ctx_ptr()
        if ptr is None or not hasattr(self.lc, "llama_perf_context"):
            return None
        d = self.lc.llama_perf_context(ptr)
        return {
            "t_p_eval_ms": d.t_p_eval_ms,
            "n_p_eval": d.n_p_eval,
            "t_eval_ms": d.t_eval_ms,
            "n_eval": d.n_eval,
        }

    def complete(self, prompt: str, max_tokens: int, stop=None) -> tuple[float, dict]:
        """One plain completion call; returns (seconds, response)."""
        self.begin_request()
        t0 = time.perf_counter()
        out = self.llm(prompt, max_tokens=max_tokens, stop=stop or [], temperature=0.0)
        return time.perf_counter() - t0, out


def prompt_text(path: Path, min_tokens: int, peer: Peer) -> tuple[str, bool]:
    """The prompt file's text, repeated if it is too short for `min_tokens`."""
    text = path.read_text(encoding="utf-8")
    n = len(peer.tokenize(text))
    if n >= min_tokens:
        return text, False
    reps = math.ceil(min_tokens / max(n, 1)) + 1
    return "\n".join([text] * reps), True


def median(xs):
    return statistics.median(xs) if xs else None


def nearest_rank(xs, p):
    """The p-th percentile by the nearest-rank method (no interpolation)."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


# --------------------------------------------------------------------------------------------
# Measurements


def run_speed(peer: Peer, args) -> tuple[list[dict], dict]:
    text, repeated = prompt_text(args.prompt_file, args.prompt_tokens + 64, peer)
    prompt = peer.prompt_tokens(text[: peer.cut(text, args.prompt_tokens)])
    llm = peer.llm
    rows = []
    for run in range(args.warmup + args.runs):
        llm.reset()
        peer.perf_reset()
        peer.begin_request()
        t0 = time.perf_counter()
        gen = llm.generate(prompt, temp=0.0, reset=True)
        next(gen)  # prefill + first sampled token
        t1 = time.perf_counter()
        for _ in range(args.decode_tokens):
            next(gen)  # eval of the previous token + sampling
        t2 = time.perf_counter()
        gen.close()
        perf = peer.perf()
        if run < args.warmup:
            continue
        row = {
            "kind": "speed_run",
            "run": run - args.warmup,
            "prompt_tokens": len(prompt),
            "evaluated_prompt_tokens": peer.evaluated_prompt_tokens(),
            "prefill_ms": (t1 - t0) * 1e3,
            "prompt_tok_s": len(prompt) / (t1 - t0),
            "decode_tokens": args.decode_tokens,
            "decode_ms": (t2 - t1) * 1e3,
            "decode_tok_s": args.decode_tokens / (t2 - t1),
        }
        if perf:
            row["llama_perf"] = perf
            if perf["n_p_eval"] and perf["t_p_eval_ms"]:
                row["llama_prompt_tok_s"] = perf["n_p_eval"] / perf["t_p_eval_ms"] * 1e3
            if perf["n_eval"] and perf["t_eval_ms"]:
                row["llama_decode_tok_s"] = perf["n_eval"] / perf["t_eval_ms"] * 1e3
        rows.append(row)
    summary = {
        "kind": "summary",
        "measure": "speed",
        "runs": args.runs,
        "prompt_tokens": len(prompt),
        "prompt_text_repeated": repeated,
        "decode_tokens": args.decode_tokens,
        "prompt_tok_s": median([r["prompt_tok_s"] for r in rows]),
        "decode_tok_s": median([r["decode_tok_s"] for r in rows]),
        "prefill_ms": median([r["prefill_ms"] for r in rows]),
        "llama_prompt_tok_s": median([r["llama_prompt_tok_s"] for r in rows if "llama_prompt_tok_s" in r]),
        "llama_decode_tok_s": median([r["llama_decode_tok_s"] for r in rows if "llama_decode_tok_s" in r]),
    }
    return rows, summary


def run_ttft(peer: Peer, args) -> tuple[list[dict], dict]:
    n, new = args.prompt_tokens, args.new_tokens
    text, repeated = prompt_text(args.prompt_file, n + new + 64, peer)
    c_keep = peer.cut(text, n - new)  # shared prefix
    c_full = peer.cut(text, n)  # this request's prompt
    c_other = peer.cut(text, n + new)
    current = text[:c_full]
    # The previous request: same shared prefix, then 50 other tokens (the text after this
    # request's prompt), as if the user had been elsewhere in the last lines.
    previous = text[:c_keep] + text[c_full:c_other]
    rows = []
    for run in range(args.warmup + args.runs):
        # cold
        peer.llm.reset()
        cold_s, _ = peer.complete(current, max_tokens=1)
        cold_eval = peer.evaluated_prompt_tokens()
        # warm: previous request first (untimed), then this one
        peer.llm.reset()
        peer.complete(previous, max_tokens=16, stop=["\n"])
        warm_s, out = peer.complete(current, max_tokens=1)
        warm_eval = peer.evaluated_prompt_tokens()
        if run < args.warmup:
            continue
        rows.append(
            {
                "kind": "ttft_run",
                "run": run - args.warmup,
                "prompt_tokens": out["usage"]["prompt_tokens"],
                "cold_ms": cold_s * 1e3,
                "cold_evaluated_prompt_tokens": cold_eval,
                "warm_ms": warm_s * 1e3,
                "warm_evaluated_prompt_tokens": warm_eval,
            }
        )
    summary = {
        "kind": "summary",
        "measure": "ttft",
        "runs": args.runs,
        "prompt_tokens": rows[0]["prompt_tokens"],
        "prompt_text_repeated": repeated,
        "cold_ms": median([r["cold_ms"] for r in rows]),
        "cold_evaluated_prompt_tokens": rows[0]["cold_evaluated_prompt_tokens"],
        "warm_ms": median([r["warm_ms"] for r in rows]),
        "warm_evaluated_prompt_tokens": rows[0]["warm_evaluated_prompt_tokens"],
    }
    return rows, summary


def run_trace(peer: Peer, args) -> tuple[list[dict], dict]:
    text = args.prompt_file.read_text(encoding="utf-8")
    c = peer.cut(text, args.base_tokens)
    typed = text[c : c + args.typed_chars]
    if len(typed) < args.typed_chars:
        sys.exit(f"{args.prompt_file}: fewer than {args.typed_chars} characters after the base prompt")
    per_k: list[list[dict]] = [[] for _ in range(len(typed) + 1)]
    for run in range(args.warmup + args.runs):
        peer.llm.reset()  # k = 0 is cold
        for k in range(len(typed) + 1):
            secs, out = peer.complete(text[: c + k], max_tokens=args.max_tokens, stop=["\n"])
            if run < args.warmup:
                continue
            per_k[k].append(
                {
                    "ms": secs * 1e3,
                    "prompt_tokens": out["usage"]["prompt_tokens"],
                    "evaluated": peer.evaluated_prompt_tokens(),
                    "completion_tokens": out["usage"]["completion_tokens"],
                    "text": out["choices"][0]["text"],
                }
            )
    rows = []
    for k, runs in enumerate(per_k):
        rows.append(
            {
                "kind": "trace_request",
                "k": k,
                "typed": typed[:k],
                "latency_ms": median([r["ms"] for r in runs]),
                "latency_ms_runs": [round(r["ms"], 2) for r in runs],
                "prompt_tokens": runs[0]["prompt_tokens"],
                "evaluated_prompt_tokens": runs[0]["evaluated"],
                "completion_tokens": runs[0]["completion_tokens"],
                "completion": runs[0]["text"],
                "deterministic": len({r["text"] for r in runs}) == 1,
            }
        )
    follow = [r["latency_ms"] for r in rows[1:]]
    summary = {
        "kind": "summary",
        "measure": "trace",
        "runs": args.runs,
        "prompt_file": str(args.prompt_file),
        "base_prompt_tokens": rows[0]["prompt_tokens"],
        "base_chars": c,
        "typed_chars": len(typed),
        "cold_ms": rows[0]["latency_ms"],
        "cold_evaluated_prompt_tokens": rows[0]["evaluated_prompt_tokens"],
        "followup_p50_ms": nearest_rank(follow, 50),
        "followup_p95_ms": nearest_rank(follow, 95),
        "followup_mean_evaluated_prompt_tokens": statistics.mean(
            r["evaluated_prompt_tokens"] for r in rows[1:] if r["evaluated_prompt_tokens"] is not None
        ),
        "followup_completion_tokens_total": sum(r["completion_tokens"] for r in rows[1:]),
    }
    return rows, summary


def run_quantize(args):
    lc = import_llama_cpp()
    ftype_name = "LLAMA_FTYPE_MOSTLY_" + args.type.upper()
    if not hasattr(lc, ftype_name):
        sys.exit(f"unknown quantization type {args.type}")
    params = lc.llama_model_quantize_default_params()
    params.ftype = getattr(lc, ftype_name)
    params.allow_requantize = True
    params.nthread = args.threads
    os.makedirs(os.path.dirname(os.path.abspath(args.output)) or ".", exist_ok=True)
    t0 = time.perf_counter()
    rc = lc.llama_model_quantize(args.input.encode(), args.output.encode(), params)
    if rc != 0:
        sys.exit(f"llama_model_quantize failed with {rc}")
    print(json.dumps({"kind": "quantize", "input": args.input, "output": args.output,
                      "type": args.type, "seconds": round(time.perf_counter() - t0, 2),
                      "bytes": os.path.getsize(args.output)}))


# --------------------------------------------------------------------------------------------
# Output


def fmt(x, digits=1):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def header(peer: Peer, args) -> dict:
    return {
        "kind": "setup",
        "engine": "llama.cpp via llama-cpp-python",
        "llama_cpp_python": peer.lc.__version__,
        "model": os.path.basename(peer.model_path),
        "model_bytes": os.path.getsize(peer.model_path),
        "threads": args.threads,
        "n_ctx": args.n_ctx,
        "n_batch": args.n_batch,
        "load_ms": round(peer.load_s * 1e3, 1),
        "system_info": peer.lc.llama_print_system_info().decode(errors="replace").strip(),
        "loadavg_start": os.getloadavg()[0],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
    }


class CpuShare:
    """How busy the cores were with *other* processes while we measured (Linux /proc/stat)."""

    def __init__(self):
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._busy(), self._own()

    @staticmethod
    def _busy():
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:]]
        except OSError:
            return None
        # user nice system idle iowait irq softirq steal
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own():
        t = os.times()
        return t.user + t.system

    def others(self) -> float | None:
        """Other processes' CPU time as a share of all cores' wall time (0 = quiet machine)."""
        busy = self._busy()
        if busy is None or self.busy0 is None:
            return None
        wall = time.perf_counter() - self.t0
        others = (busy - self.busy0) - (self._own() - self.own0)
        return max(0.0, others) / (wall * os.cpu_count())


def check_load(setup: dict):
    """Numbers taken while other processes use the cores are not comparable: say so."""
    load = setup["loadavg_start"]
    if load > 0.5:
        print(f"warning: 1-minute load average is {load:.2f} before the run; other processes "
              "share the cores, so these numbers are pessimistic and noisy", file=sys.stderr)


def print_markdown(measure: str, setup: dict, rows: list[dict], summary: dict):
    print(f"llama.cpp (llama-cpp-python {setup['llama_cpp_python']}), {setup['model']}, "
          f"{setup['threads']} threads, n_batch {setup['n_batch']}, greedy, OMP_WAIT_POLICY "
          f"{setup['omp_wait_policy']}; load average "
          f"{setup['loadavg_start']:.2f} at start; other processes' CPU share during the run "
          f"{fmt(summary['other_processes_cpu_share'], 2)}\n")
    if measure == "speed":
        print(f"| run | prompt tokens | prefill ms | prompt tok/s | decode tok/s ({summary['decode_tokens']}) "
              "| llama.cpp perf prompt / decode tok/s |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['run']} | {r['prompt_tokens']} | {fmt(r['prefill_ms'])} | {fmt(r['prompt_tok_s'])} "
                  f"| {fmt(r['decode_tok_s'])} | {fmt(r.get('llama_prompt_tok_s'))} / {fmt(r.get('llama_decode_tok_s'))} |")
        s = summary
        print(f"| **median** | {s['prompt_tokens']} | {fmt(s['prefill_ms'])} | **{fmt(s['prompt_tok_s'])}** "
              f"| **{fmt(s['decode_tok_s'])}** | {fmt(s['llama_prompt_tok_s'])} / {fmt(s['llama_decode_tok_s'])} |")
    elif measure == "ttft":
        print("| run | prompt tokens | cold TTFT ms | warm TTFT ms (last 50 tokens new) | evaluated cold / warm |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['run']} | {r['prompt_tokens']} | {fmt(r['cold_ms'])} | {fmt(r['warm_ms'])} "
                  f"| {r['cold_evaluated_prompt_tokens']} / {r['warm_evaluated_prompt_tokens']} |")
        s = summary
        print(f"| **median** | {s['prompt_tokens']} | **{fmt(s['cold_ms'])}** | **{fmt(s['warm_ms'])}** "
              f"| {s['cold_evaluated_prompt_tokens']} / {s['warm_evaluated_prompt_tokens']} |")
    elif measure == "trace":
        print("| k | typed | latency ms | prompt tokens | evaluated | completion tokens |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            typed = json.dumps(r["typed"][-8:])[1:-1].replace("|", "\\|")
            print(f"| {r['k']} | `{typed}` | {fmt(r['latency_ms'])} | {r['prompt_tokens']} "
                  f"| {r['evaluated_prompt_tokens']} | {r['completion_tokens']} |")
        s = summary
        print(f"\ncold {fmt(s['cold_ms'])} ms ({s['cold_evaluated_prompt_tokens']} tokens evaluated); "
              f"follow-ups (k=1..{s['typed_chars']}): p50 {fmt(s['followup_p50_ms'])} ms, "
              f"p95 {fmt(s['followup_p95_ms'])} ms, mean {fmt(s['followup_mean_evaluated_prompt_tokens'])} "
              f"prompt tokens evaluated; median of {s['runs']} run(s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="measure", required=True)

    def common(p, prompt_tokens_default=None):
        p.add_argument("model", help="GGUF model file")
        p.add_argument("--runs", type=int, default=3, help="measured runs; the median is reported (3)")
        p.add_argument("--warmup", type=int, default=1, help="unreported runs first (1)")
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--n-ctx", type=int, default=4096)
        p.add_argument("--n-batch", type=int, default=512)
        p.add_argument("--prompt-file", type=Path, default=DEFAULT_PROMPT_FILE,
                       help=f"prompt text (default {DEFAULT_PROMPT_FILE.relative_to(REPO_ROOT)})")
        p.add_argument("--json", action="store_true", help="JSON lines instead of a markdown table")
        p.add_argument("--omp-wait-policy", choices=["default", "active", "passive"], default="default",
                       help="OMP_WAIT_POLICY for the binding's OpenMP threads (default: as in the "
                       "environment). On a loaded machine 'passive' avoids llama.cpp's spinning "
                       "threads starving each other (measured ~15x faster decode at 75%% foreign load)")
        if prompt_tokens_default:
            p.add_argument("--prompt-tokens", type=int, default=prompt_tokens_default)

    p = sub.add_parser("speed", help="prompt and decode tok/s")
    common(p, 1500)
    p.add_argument("--decode-tokens", type=int, default=128)
    p = sub.add_parser("ttft", help="time to first token, cold and warm")
    common(p, 1500)
    p.add_argument("--new-tokens", type=int, default=50, help="new tokens at the end for warm (50)")
    p = sub.add_parser("trace", help="the typing trace")
    common(p)
    p.add_argument("--base-tokens", type=int, default=2000)
    p.add_argument("--typed-chars", type=int, default=30)
    p.add_argument("--max-tokens", type=int, default=16)
    p = sub.add_parser("quantize", help="requantize a GGUF with llama.cpp's quantizer")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--type", default="q8_0")
    p.add_argument("--threads", type=int, default=2)

    args = ap.parse_args()
    if args.measure == "quantize":
        run_quantize(args)
        return
    if args.omp_wait_policy != "default":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()  # before libgomp loads
    peer = Peer(args.model, args.threads, args.n_ctx, args.n_batch)
    setup = header(peer, args)
    check_load(setup)
    cpu = CpuShare()
    rows, summary = {"speed": run_speed, "ttft": run_ttft, "trace": run_trace}[args.measure](peer, args)
    share = cpu.others()
    summary["other_processes_cpu_share"] = round(share, 3) if share is not None else None
    if share is not None and share > 0.1:
        print(f"warning: other processes used {share:.0%} of the cores during the run",
              file=sys.stderr)
    if args.json:
        for obj in [setup, *rows, summary]:
            print(json.dumps(obj))
    else:
        print_markdown(args.measure, setup, rows, summary)


if __name__ == "__main__":
    main()
