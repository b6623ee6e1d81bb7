"""A burst of applicants through gunicorn: 16 at once for 60 s, each the whole journey. Run by `make bench`.

    make bench            (or: python bench/burst.py)

On SQLite and PostgreSQL (bench/harness/site.py: gunicorn, 2 sync workers, production profile,
a database made and dropped for the run). Each of 16 clients, without pause, takes the next
verified researcher who has not applied yet and goes through what they do: the application form
(GET), submitting it with every clause accepted (POST: the agreement is issued), and downloading
the issued agreement (GET .pdf). Targets: no error at all (any status but the expected one, or a
failed connection, is an error), and POST p95 <= 0.5 s. The journey's p95 is shown for scale.
A smoke run is 4 clients for 3 s.
"""

import collections
import datetime
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness.site import Site, databases  # noqa: E402
from bench.report import exit_code, row, size  # noqa: E402

BENCH = "burst"
CLIENTS, SECONDS = size(16, 4), size(60, 3)
POST_P95_TARGET_S = 0.5
APPLICATION = {
    "representative_name": "PROF. LI WEI",
    "representative_title": "Dean of the School of Computing",
    "organisation": "EXAMPLE UNIVERSITY",
    "unit": "Vision Lab, School of Computing",
    "address": "1 UNIVERSITY ROAD\nSPRINGFIELD",
    "email": "dean@uni.example",
    "research_purpose": "Benchmarking aerial-ground person re-identification.",
    "submit": "Submit",
}


class Burst:
    def __init__(self, site: Site):
        self.site, self.applicants = site, iter(site.data["applicants"])
        self.lock = threading.Lock()
        self.posts: list[float] = []
        self.journeys: list[float] = []
        self.errors: list[str] = []
        self.ran_out = False

    def next_applicant(self) -> str | None:
        with self.lock:
            applicant = next(self.applicants, None)
            self.ran_out |= applicant is None
            return applicant

    def journey(self, session: str) -> None:
        site, slug = self.site, self.site.data["dataset"]
        started = time.perf_counter()
        status, headers, page = site.get(f"/datasets/{slug}/apply/", session=session)
        if status != 200:
            raise RuntimeError(f"form: {status}")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
        if not token or not cookie:
            raise RuntimeError("form: no CSRF token")
        form = {
            **APPLICATION,
            "csrfmiddlewaretoken": token.group(1).decode(),
            "signing_date": datetime.datetime.now(datetime.UTC).date().isoformat(),
            **{name.decode(): "on" for name in set(re.findall(rb'name="(clause_[0-9]+)"', page))},
        }
        posted = time.perf_counter()
        status, headers, _ = site.request(
            "POST", f"/datasets/{slug}/apply/", session=session, form=form, cookies={"csrftoken": cookie.group(1)}
        )
        post_seconds = time.perf_counter() - posted
        location = headers.get("location", "")
        if status != 302 or not re.fullmatch(r"/requests/[A-Z0-9-]+/", location):
            raise RuntimeError(f"submit: {status} {location}")
        status, headers, pdf = site.get(f"{location}agreement.pdf", session=session)
        if status != 200 or not pdf.startswith(b"%PDF"):
            raise RuntimeError(f"agreement.pdf: {status}")
        with self.lock:
            self.posts.append(post_seconds)
            self.journeys.append(time.perf_counter() - started)

    def client(self, until: float) -> None:
        while time.monotonic() < until and (session := self.next_applicant()):
            try:
                self.journey(session)
            except Exception as error:  # every failure counts, whatever it was
                with self.lock:
                    self.errors.append(f"{type(error).__name__}: {error}")

    def run(self) -> None:
        until = time.monotonic() + SECONDS
        threads = [threading.Thread(target=self.client, args=(until,)) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else (values or [float("nan")])[0]


def main() -> int:
    ok = True
    for label, server in databases():
        # More researchers than the clients can serve in the time, each applying once.
        with Site(server, queue=0, applicants=size(4000, 200)) as site:
            print(f"{label}: {CLIENTS} applicants at once for {SECONDS} s, gunicorn with 2 sync workers")
            burst = Burst(site)
            burst.run()
            if burst.ran_out:
                burst.errors.append("the bench ran out of researchers: make more in main()")
            for error, count in collections.Counter(burst.errors).most_common(5):
                print(f"    {count} x {error}")
            done = len(burst.journeys)
            ok &= row(
                BENCH,
                f"{label}: errors in {done + len(burst.errors)} journeys",
                str(len(burst.errors)),
                "0",
                not burst.errors,
            )
            post = p95(burst.posts)
            ok &= row(
                BENCH,
                f"{label}: POST p95 ({CLIENTS} at once)",
                f"{post:.2f} s",
                f"<= {POST_P95_TARGET_S} s",
                bool(burst.posts) and post <= POST_P95_TARGET_S,
            )
            row(
                BENCH,
                f"{label}: journey p95, form + POST + PDF",
                f"{p95(burst.journeys):.2f} s ({done / SECONDS:.1f}/s)",
                "",
                None,
            )
    return exit_code(ok)


if __name__ == "__main__":
    sys.exit(main())
