"""`make bench`: every benchmark in turn, then one table of every row, written to bench/RESULTS.md.

    python bench/run_all.py                    (BENCH_SMOKE=1 for the smallest sizes; the figures then mean nothing)
    python bench/run_all.py pages.py burst.py  (only those; RESULTS.md then says which ran)

Every bench/*.py except this file and report.py is a benchmark: each runs as its own process,
with BENCH_RESULTS naming a file its rows are appended to (bench/report.py). Exit status 1 when
any row is OVER its target, or when a benchmark failed (its output says why) — the others still run.
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"report.py", "run_all.py"}


def benchmarks(only: list[str]) -> list[Path]:
    found = sorted(path for path in BENCH.glob("*.py") if path.name not in NOT_BENCHMARKS)
    unknown = set(only) - {path.name for path in found}
    if unknown:
        raise SystemExit(f"no such benchmark: {', '.join(sorted(unknown))}")
    return [path for path in found if not only or path.name in only]


def machine() -> str:
    cores = os.cpu_count()
    try:
        one, five, fifteen = os.getloadavg()
        load = f", load average {one:.1f} / {five:.1f} / {fifteen:.1f}"
    except OSError:
        load = ""
    return f"{platform.node()}: {platform.system()} {platform.machine()}, {cores} cores{load}, Python {platform.python_version()}"


def table(rows: list[dict]) -> list[str]:
    lines = ["| bench | scenario | figure | target | |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        verdict = "" if r["met"] is None else ("met" if r["met"] else "**OVER**")
        cells = [r["bench"], r["scenario"], r["figure"], r["target"], verdict]
        lines.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |")
    return lines


def main(only: list[str]) -> int:
    scripts = benchmarks(only)
    started_at, started = datetime.datetime.now().astimezone(), time.monotonic()
    machine_before = machine()
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.jsonl"
        results.touch()
        rows: list[dict] = []
        for script in scripts:
            print(f"== {script.name}", flush=True)
            run = subprocess.run([sys.executable, str(script)], env={**os.environ, "BENCH_RESULTS": str(results)})
            lines = results.read_text(encoding="utf-8").splitlines()
            its_rows = [json.loads(line) for line in lines[len(rows) :]]
            rows += its_rows
            # Exit status 1 with a row OVER is a missed target, in the table; any other failure broke the benchmark.
            if run.returncode and not any(r["met"] is False for r in its_rows):
                failed.append(f"{script.name} (exit status {run.returncode})")
    over = [r for r in rows if r["met"] is False]
    lines = table(rows)
    print()
    print("\n".join(lines))
    summary = f"{len(rows)} rows, {len(over)} OVER" + (f"; failed: {', '.join(failed)}" if failed else "")
    print(summary)
    smoke = os.environ.get("BENCH_SMOKE") == "1"
    if not smoke:  # a smoke run's figures mean nothing: the committed table stays the last real one
        minutes = (time.monotonic() - started) / 60
        (BENCH / "RESULTS.md").write_text(
            "# Benchmark results\n\n"
            f"`make bench` on {started_at:%Y-%m-%d %H:%M %Z} ({minutes:.0f} min)"
            + (f", only {', '.join(path.name for path in scripts)}" if only else "")
            + ".\n\n"
            f"Machine: {machine_before} at the start. A shared machine: each figure is a ratio against a\n"
            "baseline measured in the same run, so the ratios are what count, not the milliseconds.\n\n"
            + "\n".join(lines)
            + f"\n\n{summary}.\n",
            encoding="utf-8",
        )
    return 1 if over or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
