"""One reminder sweep over 100,000 active licences of which 1 % are due. Target: ≤ 10 s.

Builds a throw-away database (SQLite file var/bench-sweep.sqlite3, or bench_<name> on the
PostgreSQL of DATABASE_URL), fills it, and runs the sweep as the beat would, with the send tasks
executed in-process (eager) into Django's in-memory mailbox. Prints the figures; a second sweep
must send nothing. Usage: python bench/sweep.py [--licences N]
"""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
os.environ.setdefault("LOG_LEVEL", "WARNING")  # one line per task would drown the figures

import django  # noqa: E402

django.setup()

from dateutil.relativedelta import relativedelta  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core import mail  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.utils import timezone  # noqa: E402

DUE_TERMS, DUE_NOTICE, DUE_EXPIRY = 0.4, 0.3, 0.3  # how the 1 % due splits


def build(total: int, now: datetime.datetime) -> int:
    from requests_app.agreements import load_dataset_file
    from requests_app.models import LicenseRequest, Notification

    dataset = load_dataset_file(ROOT / "datasets" / "lagper.toml").dataset
    version = dataset.current_agreement
    User = get_user_model()
    User.objects.bulk_create(User(username=f"bench{i}", email=f"bench{i}@uni.example") for i in range(1000))
    users = list(User.objects.values_list("pk", flat=True))
    rng = random.Random(6)
    due = total // 100
    day = datetime.timedelta(days=1)

    def licence(i, approved_at, expires_at):
        return LicenseRequest(
            reference=f"BENCH-{i:07d}", applicant_id=users[i % len(users)], dataset=dataset,
            agreement_version=version, status="approved", organisation="EXAMPLE UNIVERSITY",
            submitted_at=approved_at - 5 * day, decided_at=approved_at, approved_at=approved_at, expires_at=expires_at,
        )

    licences = []
    for i in range(total - due):
        # Between reminders: the last 6-monthly one was sent 40 to 150 days ago (or none yet).
        periods = rng.randint(0, 2)
        approved = now - relativedelta(months=6 * periods) - rng.uniform(40, 150) * day
        licences.append((licence(i, approved, approved + 1095 * day), periods))
    for j in range(due):
        i = total - due + j
        if j < due * DUE_TERMS:  # the month-6 reminder fell due in the last 20 days
            approved = now - relativedelta(months=6) - rng.uniform(0.1, 20) * day
            licences.append((licence(i, approved, approved + 1095 * day), 0))
        elif j < due * (DUE_TERMS + DUE_NOTICE):  # expires in 1 to 6 days: the 7-day notice
            expires = now + rng.uniform(1, 6) * day
            licences.append((licence(i, expires - 1095 * day, expires), 0))
        else:  # expired in the last hour
            expires = now - rng.uniform(1, 3600) * datetime.timedelta(seconds=1)
            licences.append((licence(i, expires - 1095 * day, expires), 0))
    rng.shuffle(licences)
    LicenseRequest.objects.bulk_create([lic for lic, _ in licences], batch_size=2000)

    # The history a real portal has: the reminders already sent, which the sweep must skip.
    ids = dict(LicenseRequest.objects.values_list("reference", "pk"))
    Notification.objects.bulk_create(
        (
            Notification(request_id=ids[lic.reference], kind="terms_reminder", period=f"month-{6 * k}",
                         created_at=now, sent_at=now, attempts=1, claim_token="history")
            for lic, periods in licences for k in range(1, periods + 1)
        ),
        batch_size=5000,
    )
    return due


def sweep() -> tuple[float, int, int]:
    from requests_app import reminders

    mail.outbox = []
    reset_queries()
    started = time.perf_counter()
    claimed = reminders.run_sweeps()
    return time.perf_counter() - started, claimed, len(mail.outbox)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, default=100_000)
    total = parser.parse_args().licences

    db = settings.DATABASES["default"]
    db["TEST"]["NAME"] = (
        str(settings.VAR_DIR / "bench-sweep.sqlite3") if connection.vendor == "sqlite" else f"bench_{db['NAME']}"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        now = timezone.now()
        started = time.perf_counter()
        due = build(total, now)
        print(f"[{connection.vendor}] {total:,} active licences, {due:,} due; built in {time.perf_counter() - started:.1f} s")
        seconds, claimed, sent = sweep()
        print(f"first sweep:  {seconds:6.2f} s, {claimed:,} notifications claimed, {sent:,} emails sent "
              f"(target ≤ 10 s; expected {due:,})")
        seconds_again, claimed_again, sent_again = sweep()
        print(f"second sweep: {seconds_again:6.2f} s, {claimed_again:,} claimed, {sent_again:,} emails sent (expected 0)")
        ok = sent == due and sent_again == 0 and seconds <= 10
        print("OK" if ok else "NOT OK")
        return 0 if ok else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
