"""Pages through gunicorn as a share of a bare view on the same server, and a fresh worker's first request.

    make bench            (or: python bench/pages.py)

On SQLite and PostgreSQL (bench/harness/site.py): gunicorn with 2 sync workers and the production
profile, as bin/serve runs it, on a free port and a database made, filled and dropped for the run.
Each page is measured alternately with a bare view behind the same middleware (bench/harness/urls.py):
for anonymous pages one that does nothing; for signed-in pages one that reads the session and its
user. share = bare median / page median (1.0: the page costs nothing beyond the middleware).
Targets: >= 0.5 for the dataset list, the dataset page and a licensee's status page, >= 0.3 for
the review queue (2,000 requests under review, 50 a page).

Fresh workers (as the server starts, then after gunicorn's HUP; both at once): each one's first request — the licensee's status
page — against the same page from warm workers, requested the same way (two at once). Target <= 1.5x.
"""

import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness.site import Site, databases  # noqa: E402
from bench.report import exit_code, row, size  # noqa: E402

BENCH = "pages"
SHARE_TARGETS = {"dataset list": 0.5, "dataset page": 0.5, "licensee's status page": 0.5, "review queue": 0.3}
FIRST_REQUEST_TARGET = 1.5


def pages(site: Site) -> list[tuple[str, str, str | None, str]]:
    """(name, path, session, bare path) for every page measured."""
    data = site.data
    return [
        ("dataset list", "/", None, "/bench/bare/"),
        ("dataset page", f"/datasets/{data['dataset']}/", None, "/bench/bare/"),
        ("licensee's status page", f"/requests/{data['licence']}/", data["alice"], "/bench/bare-session/"),
        ("review queue", "/review/", data["bob"], "/bench/bare-session/"),
    ]


def shares(label: str, site: Site) -> bool:
    measured = pages(site)
    bare = {("/bench/bare/", None), ("/bench/bare-session/", site.data["alice"])}
    for _, path, session, _ in measured:  # warm every worker on every page before timing
        for _ in range(4):
            site.timed_get(path, session=session)
    timings: dict[tuple[str, str | None], list[float]] = {}
    rounds = size(300, 5)
    for _ in range(rounds):  # one of each in turn: drift in the machine's load hits every side alike
        for path, session in [*bare, *((path, session) for _, path, session, _ in measured)]:
            timings.setdefault((path, session), []).append(site.timed_get(path, session=session))
    ok = True
    for name, path, session, bare_path in measured:
        page_ms = statistics.median(timings[(path, session)])
        bare_ms = statistics.median(timings[(bare_path, site.data["alice"] if "session" in bare_path else None)])
        share, target = bare_ms / page_ms, SHARE_TARGETS[name]
        ok &= row(
            BENCH,
            f"{label}: {name} / bare view",
            f"{share:.2f} ({page_ms:.1f} / {bare_ms:.1f} ms)",
            f"share >= {target}",
            share >= target,
        )
    return ok


def pair(site: Site, path: str, session: str) -> list[float]:
    """Two requests at once: with both workers idle, each takes one."""
    times: list[float] = []
    threads = [threading.Thread(target=lambda: times.append(site.timed_get(path, session=session))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(times) != 2:
        raise RuntimeError(f"GET {path} failed")
    return times


def first_request(label: str, site: Site) -> bool:
    path, session = f"/requests/{site.data['licence']}/", site.data["alice"]
    first = pair(site, path, session)  # the workers the server started with, before any other request
    for _ in range(size(4, 0)):
        site.restart_workers()
        first += pair(site, path, session)
    warm: list[float] = []
    for _ in range(size(30, 2)):
        warm += pair(site, path, session)
    first_ms, warm_ms = statistics.median(first), statistics.median(warm)
    ratio = first_ms / warm_ms
    return row(
        BENCH,
        f"{label}: a fresh worker's first request / a warm one",
        f"{ratio:.2f}x ({first_ms:.1f} / {warm_ms:.1f} ms)",
        f"<= {FIRST_REQUEST_TARGET}x",
        ratio <= FIRST_REQUEST_TARGET,
    )


def main() -> int:
    ok = True
    for label, server in databases():
        with Site(server, queue=size(2000, 60), applicants=0) as site:
            print(f"{label}: gunicorn, 2 sync workers, production profile (data in {site.data['seconds']} s)")
            ok &= first_request(label, site)
            ok &= shares(label, site)
    return exit_code(ok)


if __name__ == "__main__":
    sys.exit(main())
