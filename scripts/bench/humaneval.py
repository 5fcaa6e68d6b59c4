#!/usr/bin/env python3
"""HumanEval infilling pass@1 for Infill's completion pipeline (stdlib only).

Runs `server/infill/examples/humaneval_complete.rs` (the real pipeline, greedy) on one task per
HumanEval problem of each infilling file, then scores every completion in a subprocess. See
scripts/bench/README.md.

Arms: `pipeline` (post-processing on), `raw` (post-processing off: `postprocess_off`, the same
generation as `pipeline`), `checked` (what the editor gets: the pipeline plus its syntax check,
which repairs or replaces a suggestion that breaks the syntax with a sampled one, or shows
nothing), `naive` (bare prefix, no pipeline, cut at the first blank line) and `canonical` (the
reference solution, no model: checks the harness itself). "shown that parse" counts the non-empty
suggestions whose document, as the editor holds it, compiles (`compile()`, nothing runs).

Scoring: a sample passes when the document, followed by the task's `test` and
`check(entry_point)`, runs without error under `python3 -I` in a fresh temporary directory
(timeout 10 s, 2 GiB address space, own process group). Generated code never runs in this
process. Two ways to rebuild the document are reported:

* `editor` (the headline): the text the editor holds after accepting the suggestion,
  `prompt + typed + completion + separator + suffix`, where the example reports `typed` (the
  auto-indentation its default `--layout indent` types on the cursor's new line; empty for
  `naive`) and `separator` (the newline that gives the cursor its own line, unless the suffix
  starts with one). A raw HumanEval prefix ends at a line start and the suffix starts with the
  next line's code, so without that newline any completion not ending in one is glued onto it.
* `strict`: `prompt + typed + completion + suffix`, the brief's byte-for-byte concatenation. The
  pipeline trims trailing newlines, so `strict` mostly measures that convention, not quality.

Usage:
  export CARGO_TARGET_DIR=$HOME/.cache/infill-target
  cargo build --release --example humaneval_complete -p infill
  python3 scripts/bench/humaneval.py                       # both files, pipeline+raw and naive
  python3 scripts/bench/humaneval.py --limit 10 --arms pipeline,raw
  python3 scripts/bench/humaneval.py --score-only           # re-score saved completions
  python3 scripts/bench/humaneval.py --arms pipeline --stop-at-cut   # decoding stops at the cut
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = Path("/work/shared/eval/humaneval-infilling")
FILES = {
    "single": "HumanEval-SingleLineInfilling.jsonl.gz",
    "multi": "HumanEval-MultiLineInfilling.jsonl.gz",
}
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "infill-target"))
EXAMPLE = TARGET / "release" / "examples" / "humaneval_complete"


def load_tasks(path: Path, pick: str) -> list[dict]:
    """One task per HumanEval problem, in problem order.

    `first` takes each problem's first task in file order; `middle` the task in the middle of
    the problem's list. For MultiLineInfilling, `first` is `L0_L0`, the very hole that
    SingleLineInfilling's `first` (`L0`) is, so `middle` is the default: it measures different
    holes in the two files and real multi-line ones (112 of 164 span more than one line).
    """
    groups: dict[str, list[dict]] = collections.OrderedDict()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            problem = "/".join(row["task_id"].split("/")[1:3])  # HumanEval/N
            groups.setdefault(problem, []).append(row)
    chosen = []
    for rows in groups.values():
        chosen.append(rows[0] if pick == "first" else rows[len(rows) // 2])
    return chosen


def program(task: dict, row: dict, join: str) -> str:
    """The test program for one sample. `typed` and `separator` come from the example: what the
    simulated editor typed at the cursor and the newline it put after it (see its `--layout`)."""
    prefix, suffix = task["prompt"], task["suffix"]
    completion = row.get("completion") or ""
    typed = row.get("typed") or ""
    if join == "editor":
        document = prefix + typed + completion + (row.get("separator") or "") + suffix
    else:
        document = prefix + typed + completion + suffix
    return document + "\n" + task["test"] + f"\ncheck({task['entry_point']})\n"


def _limit_resources() -> None:  # runs in the child, before exec
    import resource

    two_gib = 2 << 30
    resource.setrlimit(resource.RLIMIT_AS, (two_gib, two_gib))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_program(source: str, timeout: float) -> tuple[bool, str]:
    """Runs untrusted code in a subprocess in a fresh temporary directory."""
    with tempfile.TemporaryDirectory(prefix="humaneval-") as scratch:
        script = Path(scratch) / "sample.py"
        script.write_text(source, encoding="utf-8")
        env = {"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "PYTHONHASHSEED": "0"}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", str(script)],
                cwd=scratch,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=_limit_resources,
            )
        except OSError as error:
            return False, f"spawn: {error}"
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.communicate()
            return False, "timeout"
        if proc.returncode == 0:
            return True, ""
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return False, lines[-1][:200] if lines else f"exit {proc.returncode}"


def read_results(path: Path) -> dict[str, dict]:
    results = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                results[row["task_id"]] = row
    return results


def result_path(out_dir: Path, name: str, arm: str) -> Path:
    """`name` is `file-pick-layout-tN`; the naive arm does not depend on the layout."""
    if arm == "naive":
        short, pick, _layout, tokens = name.split("-")
        name = f"{short}-{pick}-{tokens}"
    return out_dir / f"{name}-{arm}.jsonl"


def generate(tasks: list[dict], arms: list[str], out_dir: Path, name: str, args) -> float:
    """Runs the example for `arms` (one process, one engine load) on the tasks not yet in the
    output files; returns the wall time spent."""
    paths = {arm: result_path(out_dir, name, arm) for arm in arms}
    done = {arm: read_results(path) for arm, path in paths.items()}
    todo = [t for t in tasks if any(t["task_id"] not in done[arm] for arm in arms)]
    if not todo:
        print(f"  {name} {','.join(arms)}: all {len(tasks)} tasks already done", file=sys.stderr)
        return 0.0
    command = [str(EXAMPLE), "--arm", ",".join(arms), "--layout", args.layout,
               "--max-tokens", str(args.max_tokens), "--max-lines", str(args.max_lines),
               "--budget-ms", str(args.budget_ms)]
    print(f"  {name}: {len(todo)} tasks: {shlex.join(command)}", file=sys.stderr)
    env = dict(os.environ, INFILL_LOG=os.environ.get("INFILL_LOG", "warn"))
    started = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=env, text=True, cwd=REPO)
    assert proc.stdin and proc.stdout
    # The tasks are small (≤ 200 KiB in all): write them, then stream the results.
    payload = "".join(json.dumps({"task_id": t["task_id"], "prompt": t["prompt"],
                                  "suffix": t["suffix"]}) + "\n" for t in todo)
    import threading

    writer = threading.Thread(target=lambda: (proc.stdin.write(payload), proc.stdin.close()))
    writer.start()
    files = {arm: path.open("a", encoding="utf-8") for arm, path in paths.items()}
    count = 0
    deadline = started + args.arm_timeout
    try:
        for line in proc.stdout:
            row = json.loads(line)
            files[row["arm"]].write(line)
            files[row["arm"]].flush()
            count += 1
            if count % (10 * len(arms)) == 0:
                elapsed = time.monotonic() - started
                print(f"    {count // len(arms)}/{len(todo)} tasks, {elapsed:.0f} s", file=sys.stderr)
            if time.monotonic() > deadline:
                print(f"    stopping: over --arm-timeout {args.arm_timeout} s", file=sys.stderr)
                proc.kill()
                break
    finally:
        for f in files.values():
            f.close()
        writer.join()
        rc = proc.wait()
    if rc not in (0, -9):
        raise SystemExit(f"humaneval_complete exited with {rc}")
    return time.monotonic() - started


def score(tasks: list[dict], rows: dict[str, dict], join: str, jobs: int,
          timeout: float) -> list[tuple[str, bool, str]]:
    by_id = {t["task_id"]: t for t in tasks}

    def one(task_id: str) -> tuple[str, bool, str]:
        ok, why = run_program(program(by_id[task_id], rows[task_id], join), timeout)
        return task_id, ok, why

    ids = [t["task_id"] for t in tasks if t["task_id"] in rows]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", default="single,multi", help="single,multi")
    parser.add_argument("--arms", default="pipeline,raw,naive,canonical",
                        help="pipeline,raw,naive,canonical (pipeline and raw share a generation)")
    parser.add_argument("--pick", choices=["first", "middle"], default="middle")
    parser.add_argument("--limit", type=int, default=None, help="only the first N problems")
    parser.add_argument("--layout", choices=["indent", "editor", "literal"], default="indent",
                        help="how the example lays the task out as an editor buffer (see its docs)")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--max-lines", type=int, default=16)
    parser.add_argument("--budget-ms", type=int, default=30000)
    parser.add_argument("--arm-timeout", type=float, default=1500,
                        help="stop a generation run after this many seconds (default 25 min)")
    parser.add_argument("--timeout", type=float, default=10, help="per-sample test timeout")
    parser.add_argument("--jobs", type=int, default=1, help="parallel test subprocesses")
    parser.add_argument("--out", type=Path, default=Path("/tmp/infill-humaneval"))
    parser.add_argument("--score-only", action="store_true", help="do not generate; score saved results")
    parser.add_argument("--stop-at-cut", action="store_true",
                        help="generate the pipeline arm alone, which stops decoding where post-processing "
                             "cuts (as the server does); without it the pipeline shares its generation "
                             "with the raw arm, which must decode past the cut")
    parser.add_argument("--fresh", action="store_true", help="discard saved results first")
    args = parser.parse_args()

    arms = [a for a in args.arms.split(",") if a]
    model_arms = [a for a in arms if a != "canonical"]
    args.out.mkdir(parents=True, exist_ok=True)
    if model_arms and not args.score_only and not EXAMPLE.exists():
        raise SystemExit(f"{EXAMPLE} is missing: cargo build --release --example humaneval_complete -p infill")

    table = []
    timings = []
    failures: dict[tuple[str, str], collections.Counter] = {}
    for short in args.files.split(","):
        tasks = load_tasks(DATA / FILES[short], args.pick)
        if args.limit:
            tasks = tasks[: args.limit]
        name = f"{short}-{args.pick}-{args.layout}-t{args.max_tokens}" + ("-cut" if args.stop_at_cut else "")
        if args.fresh and not args.score_only:
            for arm in model_arms:
                result_path(args.out, name, arm).unlink(missing_ok=True)
        # One generation serves pipeline and raw; naive and checked are runs of their own.
        groups = [[a for a in model_arms if a in ("pipeline", "raw")]] + [
            [a] for a in model_arms if a in ("naive", "checked")]
        for group in groups:
            if group and not args.score_only:
                # Generate both shared arms together even if only one was asked for.
                shared = ["pipeline", "raw"] if group[0] in ("pipeline", "raw") else group
                if args.stop_at_cut and "pipeline" in shared:
                    if "raw" in arms:
                        raise SystemExit("--stop-at-cut generates the pipeline arm alone: drop raw from --arms")
                    shared = ["pipeline"]
                wall = generate(tasks, shared, args.out, name, args)
                timings.append((short, ",".join(shared), wall))
        for arm in arms:
            if arm == "canonical":
                rows = {t["task_id"]: {"completion": t["canonical_solution"], "typed": "", "separator": ""}
                        for t in tasks}
            else:
                rows = read_results(result_path(args.out, name, arm))
                rows = {k: v for k, v in rows.items() if k in {t["task_id"] for t in tasks}}
            results = {}
            for join in ("editor", "strict"):
                results[join] = score(tasks, rows, join, args.jobs, args.timeout)
            n = len(results["editor"])
            passed = {join: sum(ok for _, ok, _ in r) for join, r in results.items()}
            failures[(short, arm)] = collections.Counter(
                why.split(":")[0] for _, ok, why in results["editor"] if not ok)
            values = list(rows.values())
            empty = sum(1 for v in values if not (v.get("completion") or "").strip())
            errors = sum(1 for v in values if v.get("error"))
            ms = [v["ms"] for v in values if v.get("ms") is not None]
            prompt = [v["prompt_tokens"] for v in values if v.get("prompt_tokens") is not None]
            # Shown suggestions whose document (as the editor holds it) compiles: compile() only
            # parses, it runs nothing.
            by_id = {t["task_id"]: t for t in tasks}
            shown = [(k, v) for k, v in rows.items() if (v.get("completion") or "").strip()]
            parses = 0
            for task_id, row in shown:
                try:
                    compile(program(by_id[task_id], row, "editor"), "sample.py", "exec")
                    parses += 1
                except (SyntaxError, ValueError):
                    pass
            generations = [v["generations"] for v in values if v.get("generations") is not None]
            table.append({
                "file": FILES[short].replace("HumanEval-", "").replace(".jsonl.gz", ""),
                "arm": arm,
                "n": n,
                "editor": passed["editor"] / n if n else 0.0,
                "editor_k": passed["editor"],
                "strict": passed["strict"] / n if n else 0.0,
                "strict_k": passed["strict"],
                "empty": empty,
                "errors": errors,
                "ms": statistics.median(ms) if ms else None,
                "prompt": statistics.median(prompt) if prompt else None,
                "parses": (parses, len(shown)),
                "generations": statistics.mean(generations) if generations else None,
            })

    print()
    print("| file | arm | pass@1 (editor) | pass@1 (strict) | n | empty | errors | shown that parse | "
          "mean generations | median ms | median prompt tok |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in table:
        ms = f"{r['ms']:.0f}" if r["ms"] is not None else "–"
        prompt = f"{r['prompt']:.0f}" if r["prompt"] is not None else "–"
        parsed, shown = r["parses"]
        parse = f"{parsed / shown:.0%} ({parsed}/{shown})" if shown else "–"
        gens = f"{r['generations']:.2f}" if r["generations"] is not None else "–"
        print(f"| {r['file']} | {r['arm']} | {r['editor']:.1%} ({r['editor_k']}/{r['n']}) | "
              f"{r['strict']:.1%} ({r['strict_k']}/{r['n']}) | {r['n']} | {r['empty']} | "
              f"{r['errors']} | {parse} | {gens} | {ms} | {prompt} |")
    print()
    for (short, arm), counter in failures.items():
        top = ", ".join(f"{k} ×{v}" for k, v in counter.most_common(4))
        if top:
            print(f"- {short}/{arm} failures (editor): {top}")
    for short, arms_run, wall in timings:
        if wall:
            print(f"- generation {short} [{arms_run}]: {wall / 60:.1f} min wall")
    print()
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    print(f"pick={args.pick} layout={args.layout} max_tokens={args.max_tokens} max_lines={args.max_lines} "
          f"budget_ms={args.budget_ms} temperature=0 (greedy); results in {args.out}")


if __name__ == "__main__":
    main()
