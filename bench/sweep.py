"""The reminder sweeps at scale, and an applicant applying while a catch-up sweep runs.

1. Routine: one sweep over 100,000 active licences and 10,000 requests waiting on their applicants,
   1 % of each due (terms reminders, expiry notices, expiries; signature nudges, stale withdrawals).
   Target: ≤ 10 s, every due email claimed once, a second sweep claims nothing.
2. Catch-up: 25,000 more requests fall due at once (12,500 stale, withdrawn with notice; 12,500
   due a nudge), as after the beat was down for weeks. While the sweep works through them, an
   applicant in another process posts the application form every 0.5 s. Target: the POST's p95
   ≤ 1 s with no error, on SQLite above all (one writer at a time).

Either way the send tasks are left on the (in-memory) queue: sending is the worker's work, each
send its own short transaction, and tests/test_reminders*.py prove what is sent.

On SQLite, then on PostgreSQL (each in its own process, bench/harness/data.py's each_database),
builds a throw-away database (SQLite file var/bench-sweep.sqlite3, or bench_<name> on the PostgreSQL
server) with plain bulk inserts, and drops it after. BENCH_SMOKE=1: 1,000 licences and 250
due requests. Usage: python bench/sweep.py
"""

import datetime
import multiprocessing
import os
import random
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
os.environ.setdefault("LOG_LEVEL", "WARNING")  # one line per task would drown the figures

import django  # noqa: E402

django.setup()

from dateutil.relativedelta import relativedelta  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import DateTimeField, JSONField  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.harness import data  # noqa: E402
from bench.report import exit_code, row, size  # noqa: E402

BENCH = "sweep"
LICENCES = size(100_000, 1_000)
WAITING = LICENCES // 10
CATCH_UP = size(25_000, 250)
ROUTINE_TARGET_SECONDS = 10
POST_P95_TARGET_SECONDS = 1.0
POST_EVERY_SECONDS = 0.5
APPLICANTS = size(1_000, 50)
DUE_TERMS, DUE_NOTICE, DUE_EXPIRY = 0.4, 0.3, 0.3  # how the 1 % of licences due splits
DAY = datetime.timedelta(days=1)


def insert(model, rows, **shared) -> int:
    """Insert `rows` (dicts of attribute values) of `model` as plain tuples, in one transaction; returns how many.

    Every other column is what an unsaved `model(**shared)` would store. A row's own values are
    given as stored (text, ids), but for datetimes and JSON, which are adapted as Django would.
    Seconds for 100,000 rows, where bulk_create, building a model object per row, took minutes.
    """
    template = model(**shared)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    base = [f.get_db_prep_save(f.pre_save(template, True), connection) for f in fields]
    position = {f.attname: i for i, f in enumerate(fields)}
    adapt_datetime = connection.ops.adapt_datetimefield_value
    adapt = {
        f.attname: adapt_datetime
        if isinstance(f, DateTimeField)
        else partial(f.get_db_prep_save, connection=connection)
        for f in fields
        if isinstance(f, (DateTimeField, JSONField))
    }
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    tuples = []
    for values in rows:
        line = base.copy()
        for name, value in values.items():
            line[position[name]] = adapt[name](value) if name in adapt else value
        tuples.append(line)
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(tuples), 5000):
            cursor.executemany(sql, tuples[start : start + 5000])
    return len(tuples)


class Portal:
    """The dataset, its applicants, and a counter for unique references."""

    def __init__(self):
        from allauth.account.models import EmailAddress

        from requests_app.agreement_format.loading import load_dataset_file

        self.dataset = load_dataset_file(ROOT / "datasets" / "lagper.toml").dataset
        self.version = self.dataset.current_agreement
        User = get_user_model()
        insert(
            User,
            ({"username": f"bench{i}", "email": f"bench{i}@uni.example"} for i in range(APPLICANTS)),
            password="!",
            date_joined=timezone.now(),
        )
        self.users = list(User.objects.filter(username__startswith="bench").order_by("pk").values_list("pk", flat=True))
        insert(
            EmailAddress,
            ({"user_id": pk, "email": f"bench{i}@uni.example"} for i, pk in enumerate(self.users)),
            verified=True,
            primary=True,
        )
        self.made = 0

    def requests(self, rows: list[dict]) -> dict[str, int]:
        """Insert LicenseRequests from `rows` (each given a reference and token); returns reference → pk."""
        from requests_app.models import LicenseRequest

        first = self.made
        for row_values in rows:
            row_values.update(
                reference=f"BENCH-{self.made:07d}",
                token=f"bench-{self.made:07d}",
                applicant_id=self.users[self.made % len(self.users)],
            )
            self.made += 1
        insert(
            LicenseRequest,
            rows,
            dataset=self.dataset,
            agreement_version=self.version,
            organisation="EXAMPLE UNIVERSITY",
            representative_name="PROF. BENCH",
            email="rep@uni.example",
        )
        return dict(
            LicenseRequest.objects.filter(
                reference__gte=f"BENCH-{first:07d}", reference__lt=f"BENCH-{self.made:07d}"
            ).values_list("reference", "pk")
        )

    def waiting(self, waits: list[tuple[str, datetime.timedelta]], now: datetime.datetime) -> dict[int, tuple]:
        """Requests waiting on their applicant (status, for how long), each with the event that began the wait.

        Returns pk → (status, since). The events are hash-chained as the model would.
        """
        from requests_app.audit.chain import GENESIS, event_hash
        from requests_app.models import RequestEvent

        rows = [
            {
                "status": status,
                "submitted_at": now - waited,
                "returned_fields": ["unit"] if status == "returned" else [],
            }
            for status, waited in waits
        ]
        ids = self.requests(rows)
        waiting = {ids[r["reference"]]: (r["status"], r["submitted_at"]) for r in rows}
        note, ip = "Submitted; every clause accepted.", "203.0.113.7"

        def event(pk, status, since):
            from_status = "draft" if status == "awaiting_signature" else "under_review"
            actor = self.users[pk % len(self.users)]
            digest = event_hash(
                request_id=pk,
                seq=1,
                actor_id=actor,
                from_status=from_status,
                to_status=status,
                note=note,
                at=since,
                ip=ip,
                prev_hash=GENESIS,
            )
            return {
                "request_id": pk,
                "actor_id": actor,
                "from_status": from_status,
                "to_status": status,
                "note": note,
                "at": since,
                "ip": ip,
                "seq": 1,
                "prev_hash": GENESIS,
                "hash": digest,
            }

        insert(RequestEvent, (event(pk, status, since) for pk, (status, since) in waiting.items()))
        return waiting


def build_routine(portal: Portal, now: datetime.datetime) -> int:
    """LICENCES active licences and WAITING waiting requests, 1 % of each due; returns how many emails are due."""
    from requests_app.models import Notification

    rng = random.Random(6)
    due = LICENCES // 100
    licences, history = [], []
    for i in range(LICENCES):
        if i < LICENCES - due:  # between reminders: the last 6-monthly one sent 40 to 150 days ago (or none yet)
            periods = rng.randint(0, 2)
            approved = now - relativedelta(months=6 * periods) - rng.uniform(40, 150) * DAY
            expires = approved + 1095 * DAY
        elif (j := i - (LICENCES - due)) < due * DUE_TERMS:  # the month-6 reminder fell due in the last 20 days
            periods, approved = 0, now - relativedelta(months=6) - rng.uniform(0.1, 20) * DAY
            expires = approved + 1095 * DAY
        elif j < due * (DUE_TERMS + DUE_NOTICE):  # expires in 1 to 6 days: the 7-day notice
            periods, expires = 0, now + rng.uniform(1, 6) * DAY
            approved = expires - 1095 * DAY
        else:  # expired in the last hour
            periods, expires = 0, now - rng.uniform(1, 3600) * datetime.timedelta(seconds=1)
            approved = expires - 1095 * DAY
        licences.append(
            {
                "status": "approved",
                "submitted_at": approved - 5 * DAY,
                "decided_at": approved,
                "approved_at": approved,
                "expires_at": expires,
            }
        )
        history.append(periods)
    ids = portal.requests(licences)
    # The reminders already sent, which the sweep must skip.
    sent = {"created_at": now, "sent_at": now, "attempts": 1, "claim_token": "history"}
    insert(
        Notification,
        (
            {"request_id": ids[lic["reference"]], "kind": "terms_reminder", "period": f"month-{6 * k}"}
            for lic, periods in zip(licences, history, strict=True)
            for k in range(1, periods + 1)
        ),
        **sent,
    )

    # Waiting on their applicant: 1 % due (half their first nudge, half stale), crossed in the last
    # 10 minutes; the others already nudged at the last day they passed, or not yet at the first,
    # none within an hour of its next day (the bench must not see more fall due while it runs).
    steps = sorted(settings.NUDGE_AFTER_DAYS)
    days_due = [*steps, settings.STALE_AFTER_DAYS]
    due_waiting = WAITING // 100
    waits, passed = [], []
    minutes = datetime.timedelta(minutes=1)
    for i in range(WAITING):
        status = "awaiting_signature" if i % 3 else "returned"
        if i < due_waiting // 2:
            waited, passed_day = steps[0] * DAY + rng.uniform(0.1, 10) * minutes, None
        elif i < due_waiting:
            waited, passed_day = settings.STALE_AFTER_DAYS * DAY + rng.uniform(0.1, 10) * minutes, None
        else:
            waited = rng.uniform(0, settings.STALE_AFTER_DAYS) * DAY
            while any(days * DAY - 60 * minutes < waited <= days * DAY for days in days_due):
                waited = rng.uniform(0, settings.STALE_AFTER_DAYS) * DAY
            passed_day = max((days for days in steps if waited >= days * DAY), default=None)
        waits.append((status, waited))
        passed.append(passed_day)
    waiting = portal.waiting(waits, now)
    nudge_kind = {"awaiting_signature": "signature_nudge", "returned": "returned_nudge"}
    insert(
        Notification,
        (
            {"request_id": pk, "kind": nudge_kind[status], "period": Notification.wait_period(days=days, since=since)}
            for (pk, (status, since)), days in zip(waiting.items(), passed, strict=True)
            if days is not None
        ),
        **sent,
    )
    return due + due_waiting


def build_catch_up(portal: Portal, now: datetime.datetime) -> None:
    """CATCH_UP requests due at once: half stale (31 to 60 days), half due their first nudge (4 to 6 days)."""
    rng = random.Random(7)
    half = CATCH_UP // 2
    portal.waiting(
        [
            (
                "awaiting_signature" if i % 3 else "returned",
                (rng.uniform(31, 60) if i < half else rng.uniform(4, 6)) * DAY,
            )
            for i in range(CATCH_UP)
        ],
        now,
    )


def routine_sweep() -> tuple[float, int]:
    """(seconds, emails claimed) of one sweep."""
    from requests_app.models import Notification
    from requests_app.notifications import reminders

    before = Notification.objects.count()
    started = time.perf_counter()
    reminders.run_sweeps()
    return time.perf_counter() - started, Notification.objects.count() - before


def applicant(user_pk: int, stop, ready, results) -> None:
    """In its own process: sign in as an applicant and post the application every POST_EVERY_SECONDS.

    Sends back (started, seconds, ok) per POST, `started` on the machine's monotonic clock; ok is
    the redirect to the new request's page.
    """
    from django.test import Client
    from django.urls import reverse

    from requests_app import clock
    from requests_app.models import Dataset

    agreement = Dataset.objects.get(slug="lagper").current_agreement
    form = {
        "representative_name": "PROF. LI WEI",
        "representative_title": "Dean of the School of Computing",
        "organisation": "EXAMPLE UNIVERSITY",
        "unit": "Vision Lab, School of Computing",
        "address": "1 UNIVERSITY ROAD, SPRINGFIELD",
        "email": "dean@uni.example",
        "research_purpose": "Benchmarking aerial-ground person re-identification.",
        "signing_date": clock.today().isoformat(),
        "submit": "Submit",
        **{f"clause_{clause['number']}": "on" for clause in agreement.clauses},
    }
    url = reverse("requests_app:apply", args=["lagper"])
    client = Client()
    client.force_login(get_user_model().objects.get(pk=user_pk))
    timings = []
    i = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            response = client.post(url, form)
            ok = response.status_code == 302 and "/requests/" in response.url
        except Exception:  # "database is locked", or any other failure: a failed POST
            ok = False
        timings.append((started, time.monotonic() - started, ok))
        if i == 2:
            ready.set()  # warm: the first POSTs load the URLs, templates and fonts
        i += 1
        time.sleep(max(0.0, started + POST_EVERY_SECONDS - time.monotonic()))
    results.put(timings)
    connections.close_all()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


def counts() -> tuple[int, int, int]:
    """Requests withdrawn, stale-withdrawal notices and nudges claimed so far."""
    from requests_app.models import LicenseRequest, Notification

    return (
        LicenseRequest.objects.filter(status="withdrawn").count(),
        Notification.objects.filter(kind="stale_withdrawn").count(),
        Notification.objects.filter(kind__in=["signature_nudge", "returned_nudge"]).count(),
    )


def catch_up(portal: Portal, vendor: str) -> bool:
    """The catch-up sweep with an applicant posting meanwhile; records its rows, returns whether all were met."""
    from requests_app.notifications import reminders

    connections.close_all()  # the applicant's process must not share this one's connection
    context = multiprocessing.get_context("fork")
    stop, ready, results = context.Event(), context.Event(), context.Queue()
    process = context.Process(target=applicant, args=(portal.users[0], stop, ready, results))
    process.start()
    try:
        if not ready.wait(timeout=120):
            raise RuntimeError("the applicant's process did not start posting")
        time.sleep(3 * POST_EVERY_SECONDS)  # a few POSTs with no sweep, for scale
        started_at, started = time.monotonic(), time.perf_counter()
        before = counts()
        claimed = reminders.run_sweeps()
        seconds, finished_at = time.perf_counter() - started, time.monotonic()
        time.sleep(2 * POST_EVERY_SECONDS)
    finally:
        stop.set()
        timings = results.get(timeout=120)
        process.join(timeout=30)
    withdrawn, notices, nudges = (after - earlier for after, earlier in zip(counts(), before, strict=True))
    during = [(seconds_, ok) for at, seconds_, ok in timings if started_at <= at < finished_at]
    before = [seconds_ for at, seconds_, ok in timings[3:] if at < started_at]
    half = CATCH_UP // 2
    name = f"{vendor}: catch-up sweep, {CATCH_UP:,} due"
    all_met = row(
        BENCH,
        f"{name}: withdrawn, notices, nudges claimed",
        f"{withdrawn:,}, {notices:,}, {nudges:,}",
        f"{half:,} each",
        withdrawn == notices == nudges == half and claimed == CATCH_UP,
    )
    failed = sum(1 for _, ok in during if not ok)
    all_met &= row(
        BENCH,
        f"{name}: applicant POSTs during it, failed",
        f"{failed} of {len(during)}",
        "0, ≥ 1 POST",
        failed == 0 and len(during) > 0,
    )
    all_met &= row(
        BENCH,
        f"{name}: applicant POST p95 during it",
        f"{p95([s for s, _ in during]):.2f} s",
        f"≤ {POST_P95_TARGET_SECONDS:.0f} s",
        p95([s for s, _ in during]) <= POST_P95_TARGET_SECONDS,
    )
    row(BENCH, f"{vendor}: applicant POST p95 with no sweep", f"{p95(before):.2f} s", "", None)
    row(BENCH, f"{name}: sweep time, rows/s", f"{seconds:.1f} s, {CATCH_UP / seconds:,.0f}/s", "", None)
    return all_met


def main() -> int:
    db = settings.DATABASES["default"]
    db["TEST"]["NAME"] = (
        str(settings.VAR_DIR / "bench-sweep.sqlite3") if connection.vendor == "sqlite" else f"bench_{db['NAME']}"
    )
    vendor = connection.vendor
    print(
        f"[{vendor}] SWEEP_BATCH_SIZE={settings.SWEEP_BATCH_SIZE}, SWEEP_PAUSE_SECONDS={settings.SWEEP_PAUSE_SECONDS}"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        now = timezone.now()
        started = time.perf_counter()
        portal = Portal()
        due = build_routine(portal, now)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the statistics a live database keeps
        print(
            f"{LICENCES:,} active licences and {WAITING:,} waiting requests, {due:,} emails due; "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        seconds, claimed = routine_sweep()
        all_met = row(
            BENCH,
            f"{vendor}: routine sweep, {LICENCES:,} licences + {WAITING:,} waiting",
            f"{seconds:.2f} s",
            f"≤ {ROUTINE_TARGET_SECONDS} s",
            seconds <= ROUTINE_TARGET_SECONDS,
        )
        all_met &= row(BENCH, f"{vendor}: routine sweep, emails claimed", f"{claimed:,}", f"{due:,}", claimed == due)
        _, claimed_again = routine_sweep()
        all_met &= row(
            BENCH, f"{vendor}: routine sweep again, emails claimed", f"{claimed_again:,}", "0", claimed_again == 0
        )

        started = time.perf_counter()
        build_catch_up(portal, timezone.now())
        print(f"{CATCH_UP:,} more requests due at once; built in {time.perf_counter() - started:.1f} s")
        all_met &= catch_up(portal, vendor)
        return exit_code(all_met)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main() if os.environ.get(data.ONE_DATABASE) else data.each_database(__file__))
