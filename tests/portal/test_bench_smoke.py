"""Every benchmark still runs: each bench/*.py at its smallest size (BENCH_SMOKE=1), in its own process.

A new script in bench/ is picked up without touching this file. Figures of a smoke run mean
nothing (and no timing is asserted): what is checked is that the script finishes cleanly and
reports its rows through bench/report.py, so that `make bench` can put them in its table. Scripts
that need PostgreSQL run it only when DATABASE_URL is PostgreSQL (the suite's PostgreSQL run),
on databases of their own that they drop after.
"""

import json
import os
import subprocess
import sys

import pytest

from bench.run_all import BENCH, benchmarks

pytestmark = pytest.mark.bench  # CI runs these once, in its first suite run (.ci/run)

SCRIPTS = [path.name for path in benchmarks([])]


def test_every_script_in_bench_is_smoke_tested():
    assert {"pdf.py", "pages.py", "burst.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_runs_at_its_smallest_size_and_reports_its_rows(script, tmp_path):
    results = tmp_path / "results.jsonl"
    run = subprocess.run(
        [sys.executable, str(BENCH / script)],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "BENCH_SMOKE": "1", "BENCH_RESULTS": str(results)},
    )
    output = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, output
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()] if results.exists() else []
    assert rows, f"{script} reported no row through bench/report.py:\n{output}"
    assert all(set(row) == {"bench", "scenario", "figure", "target", "met"} for row in rows)
