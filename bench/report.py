"""One row per figure, shared by every benchmark: printed as it is measured and collected by `bench/run_all.py`.

A benchmark calls `row(...)` for each figure it measures. The row is printed at once and, when the
environment names a results file (`BENCH_RESULTS`, set by run_all.py), appended to it as one JSON line,
so that `make bench` can print every benchmark's rows in one table and write bench/RESULTS.md.

`BENCH_SMOKE=1` asks every benchmark for its smallest size: `make test` runs them that way to prove
they still run; the figures of a smoke run mean nothing and `met` is not enforced.
"""

import json
import os

SMOKE = os.environ.get("BENCH_SMOKE") == "1"


def size(full: int, smoke: int) -> int:
    """The number of rows, runs or rounds to use: `full` in a real run, `smoke` in a smoke run."""
    return smoke if SMOKE else full


def row(bench: str, scenario: str, figure: str, target: str, met: bool | None) -> bool:
    """Record one measured figure; `met` is None for a figure shown for scale, with no target. Returns `met`."""
    verdict = "" if met is None else ("met" if met else "OVER")
    print(f"  {scenario:52} {figure:>22}   {target:>18}   {verdict}", flush=True)
    results = os.environ.get("BENCH_RESULTS")
    if results:
        with open(results, "a", encoding="utf-8") as out:
            record = {"bench": bench, "scenario": scenario, "figure": figure, "target": target, "met": met}
            out.write(json.dumps(record) + "\n")
    return met is not False


def exit_code(all_met: bool) -> int:
    """0 when every target was met (or in a smoke run, whose figures are not targets), else 1."""
    return 0 if all_met or SMOKE else 1


# A benchmark that measures in a child process (one per database) hears from it by its exit code.
CHILD_OVER = 3  # a target was missed; any other non-zero code is a crash


def child_exit(met: bool) -> int:
    """The child's exit code for its figures."""
    return 0 if met else CHILD_OVER


def child_met(returncode: int) -> bool | None:
    """What the child said: its targets met (True) or not (False); None when it crashed."""
    return {0: True, CHILD_OVER: False}.get(returncode)
