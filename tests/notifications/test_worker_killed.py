"""A real Celery worker killed with -9 mid-batch loses no notification and sends none twice."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from accessportal.celery import app
from requests_app.models import Notification
from requests_app.notifications import services as notifications
from tests import journeys
from tests.paths import ROOT

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
        or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL and Redis (DATABASE_URL=postgres://..., CELERY_BROKER_URL=redis://...)",
    ),
    pytest.mark.django_db(transaction=True),
]
REFERENCE = re.compile(r"^Subject: .*?([A-Z]+-\d{4}-\d{6,})", re.MULTILINE)  # a sequence outgrows six digits


def start_worker(env, log):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "accessportal",
            "worker",
            "--concurrency",
            "2",
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def emailed(outbox: Path) -> Counter:
    return Counter(ref for path in outbox.glob("*.log") for ref in REFERENCE.findall(path.read_text()))


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_worker_killed_mid_batch_leaves_every_notification_sent_failed_or_uncertain(
    alice, bob, lagper, tmp_path, settings
):
    # Thirty licences, their own emails sent in-process as they were approved; then the emails under test.
    requests = journeys.many(journeys.approved, 30, applicants=[alice], dataset=lagper, reviewer=bob)
    db = connection.settings_dict
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "EMAIL_BACKEND": "tests.slow_mail.SlowFileBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "SLOW_MAIL_SECONDS": "0.2",
        "CELERY_VISIBILITY_TIMEOUT": "3",
    }
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    app.conf.task_always_eager = False  # the autouse fixture restores it
    app.control.purge()
    broker.delete("unacked", "unacked_index")

    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(request=r, kind=Notification.Kind.REQUEST_APPROVED, period="approved", created_at=now)
        for r in requests
    )
    ids = list(Notification.objects.filter(period="approved").values_list("pk", flat=True))
    settings.NOTIFICATION_SEND_BATCH = 10
    notifications._enqueue(ids)  # three batches of ten, in Redis

    log = open(tmp_path / "workers.log", "w+")  # noqa: SIM115 (the workers write to it until the finally below)
    first = start_worker(env, log)
    try:
        assert wait_for(lambda: sum(emailed(outbox).values()) >= 5, 120), "the first worker sent nothing"
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its processes, mid-batch
        first.wait()
    sent_before = sum(emailed(outbox).values())

    second = start_worker(env, log)
    try:

        def drained():
            pending = Notification.objects.filter(pk__in=ids, claimed_at=None, sent_at=None, failed_at=None).count()
            return pending == 0 and broker.llen("celery") == 0 and broker.hlen("unacked") == 0

        assert wait_for(drained, 120), (tmp_path / "workers.log").read_text()[-3000:]
        time.sleep(4)  # past the visibility timeout: nothing more is redelivered and sent
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=60)

    counts = emailed(outbox)
    rows = {n.request.reference: n for n in Notification.objects.filter(pk__in=ids).select_related("request")}
    sent = {ref for ref, n in rows.items() if n.sent_at}
    failed = {ref for ref, n in rows.items() if n.failed_at}
    uncertain = {ref for ref, n in rows.items() if n.claimed_at and not n.sent_at and not n.failed_at}
    print(
        f"killed after {sent_before} emails; sent {len(sent)}, failed {len(failed)}, uncertain {len(uncertain)}, "
        f"uncertain and emailed {len([r for r in uncertain if counts[r]])}"
    )

    assert sent | failed | uncertain == set(rows)  # none dropped
    assert max(counts.values()) == 1  # none sent twice
    assert all(counts[ref] == 1 for ref in sent)  # what is marked sent was sent
    assert 1 <= len(uncertain) <= 2 * settings.NOTIFICATION_SEND_BATCH  # at most the batches in flight
