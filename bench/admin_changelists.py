"""The admin's changelists at 100,000 rows against the same changelists at 1,000. Run by `make bench`.

Target: each changelist's median (p50) at 100,000 rows at most 3× its median at 1,000 rows, the two
measured alternately (small, large, small, large...) so that the load of a shared machine falls on
both alike. Two databases are made and filled by the run itself, one of each size (requests with
their histories, bench/harness/data.py, and as many of every other record that grows: notifications,
issued agreements, signed copies, publications, remarks, delivery views, Hugging Face calls,
webhook deliveries, signed-copy views, representatives' confirmations, pending Hub requests), then
one process serves the admin from both, each request routed to its database, and both are dropped.

    python bench/admin_changelists.py             # SQLite, then PostgreSQL (DATABASE_URL's server, or local)
    BENCH_SMOKE=1 python bench/admin_changelists.py   # tens of rows: proves it runs, enforces nothing
"""

import copy
import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project and bench/ must be importable

from bench.harness import data  # noqa: E402
from bench.report import SMOKE, child_exit, child_met, exit_code, row, size  # noqa: E402

BENCH = "admin_changelists"
SMALL, LARGE = size(1_000, 20), size(100_000, 200)
RUNS = size(15, 1)
RATIO = 3
ADMIN = "bench-admin"
# (model, query): every changelist over a table that grows, unfiltered, and the filters most used.
CHANGELISTS = [
    ("licenserequest", {}),
    ("licenserequest", {"status__exact": "under_review"}),
    ("licenserequest", {"q": "BENCH-2026-0000017"}),
    ("requestevent", {}),
    ("requestevent", {"to_status__exact": "approved"}),
    ("notification", {}),
    ("notification", {"delivery": "pending"}),
    ("issuedagreement", {}),
    ("signedcopy", {}),
    ("publication", {}),
    ("reviewerremark", {}),
    ("deliveryview", {}),
    ("huggingfacecall", {}),
    ("webhookdelivery", {}),
    ("signedcopyview", {}),
    ("representativeconfirmation", {}),
    ("huggingfacependingrequest", {}),
]


def fill(url: str, rows: int) -> None:
    """`rows` requests with their events (bench/harness/data.py), `rows` of every other growing record, an admin."""
    data.setup_django(url)
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from requests_app.identity.models import RepresentativeConfirmation
    from requests_app.integrations.models import HuggingFaceCall, HuggingFacePendingRequest, Webhook, WebhookDelivery
    from requests_app.models import (
        DeliveryView,
        IssuedAgreement,
        LicenseRequest,
        Notification,
        Publication,
        ReviewerRemark,
        SignedCopy,
    )
    from requests_app.privacy.models import SignedCopyView

    dataset, reviewer, _ = data.populate(rows)
    get_user_model().objects.create_superuser(ADMIN, "root@bench.example", None)
    now = timezone.now()
    webhook = Webhook.objects.create(
        dataset=dataset, url="https://hooks.bench.example/", secret="whsec_bench", created_by=reviewer, created_at=now
    )
    requests = list(LicenseRequest.objects.order_by("pk").values_list("pk", "applicant_id"))
    at = [connection.ops.adapt_datetimefield_value(now - datetime.timedelta(minutes=i)) for i in range(rows)]
    insert = data._insert
    with transaction.atomic(), connection.cursor() as cursor:
        insert(
            cursor,
            Notification,
            ["request_id", "kind", "period", "created_at", "claim_token", "attempts", "last_error", "sent_at"],
            ((pk, "terms_reminder", "month-6", at[i], "", 1, "", at[i]) for i, (pk, _) in enumerate(requests)),
        )
        insert(
            cursor,
            IssuedAgreement,
            ["request_id", "agreement_version_id", "issue", "file", "sha256", "length", "pages", "issued_at", "areas"],
            (
                (pk, dataset.current_agreement.pk, 1, "", "0" * 64, 1000, 3, at[i], "[]")
                for i, (pk, _) in enumerate(requests)
            ),
        )
        issued = dict(IssuedAgreement.objects.values_list("request_id", "pk"))
        insert(
            cursor,
            SignedCopy,
            [
                "request_id",
                "issued_agreement_id",
                "uploaded_by_id",
                "uploaded_at",
                "kind",
                "page_results",
                "summary",
                "countersigned",
            ],
            (
                (pk, issued[pk], applicant, at[i], "scan_matched", "[]", "scan checked: 3 pages, signed", False)
                for i, (pk, applicant) in enumerate(requests)
            ),
        )
        insert(
            cursor,
            Publication,
            ["request_id", "title", "venue", "year", "link", "reported_at", "reported_by_id"],
            (
                (pk, f"Paper {i}", "CVPR", 2020 + i % 7, f"10.1000/bench.{i}", at[i], applicant)
                for i, (pk, applicant) in enumerate(requests)
            ),
        )
        insert(
            cursor,
            ReviewerRemark,
            ["request_id", "author_id", "text", "at"],
            ((pk, reviewer.pk, f"Remark {i}.", at[i]) for i, (pk, _) in enumerate(requests)),
        )
        insert(
            cursor,
            DeliveryView,
            ["request_id", "user_id", "at", "ip"],
            ((pk, applicant, at[i], "192.0.2.1") for i, (pk, applicant) in enumerate(requests)),
        )
        insert(
            cursor,
            HuggingFaceCall,
            ["request_id", "repo", "action", "username", "at", "ok", "result"],
            ((pk, "bench/lagper", "grant", f"hf{i}", at[i], True, "OK") for i, (pk, _) in enumerate(requests)),
        )
        insert(
            cursor,
            WebhookDelivery,
            ["webhook_id", "msg_id", "event_type", "payload", "created_at", "attempts", "last_error", "delivered_at"],
            ((webhook.pk, f"msg_bench_{i}", "licence.approved", "{}", at[i], 1, "", at[i]) for i in range(rows)),
        )
        insert(
            cursor,
            SignedCopyView,
            ["request_id", "viewer_id", "at", "ip", "inline"],
            ((pk, reviewer.pk, at[i], "192.0.2.1", False) for i, (pk, _) in enumerate(requests)),
        )
        insert(
            cursor,
            RepresentativeConfirmation,
            ["request_id", "email", "sent_at", "answer", "user_agent"],
            ((pk, f"rep{i}@bench.example", at[i], "confirmed", "") for i, (pk, _) in enumerate(requests)),
        )
        insert(
            cursor,
            HuggingFacePendingRequest,
            ["dataset_id", "username", "first_seen_at", "last_seen_at"],
            ((dataset.pk, f"hf-waiting-{i}", at[i], at[i]) for i in range(rows)),
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps


class Current:
    """A database router: every query goes to the database of the size being measured."""

    alias = "default"

    def db_for_read(self, model, **hints):
        return Current.alias

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return True


def measure(small_url: str, large_url: str) -> bool:
    """Serve the admin from both databases (`large` as default, `small` beside it) and compare each changelist."""
    data.setup_environment(large_url)
    from django.conf import settings

    small = copy.deepcopy(settings.DATABASES["default"])
    small["NAME"] = (
        small_url.removeprefix("sqlite:///") if small_url.startswith("sqlite") else small_url.rsplit("/", 1)[1]
    )
    settings.DATABASES["small"] = small
    settings.DATABASE_ROUTERS = ["__main__.Current"]
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    clients = {}
    for alias in ("small", "default"):
        Current.alias = alias
        clients[alias] = Client()
        clients[alias].force_login(get_user_model().objects.get(username=ADMIN))
    vendor = connection.vendor
    met = True
    for model, query in CHANGELISTS if not SMOKE else CHANGELISTS[:3]:
        url = reverse(f"admin:requests_app_{model}_changelist")
        times: dict[str, list[float]] = {"small": [], "default": []}
        warm = size(2, 1)  # the first runs warm templates, query plans and caches
        for run in range(warm + RUNS):
            for alias in ("small", "default"):
                Current.alias = alias
                started = time.perf_counter()
                response = clients[alias].get(url, query)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (url, query, response.status_code)
                if run >= warm:
                    times[alias].append(elapsed)
        base, p50 = statistics.median(times["small"]), statistics.median(times["default"])
        ratio = p50 / base
        label = model + ("".join(f" {key.split('__')[0]}={value}" for key, value in query.items()) if query else "")
        met &= row(
            BENCH,
            f"{vendor}: {label}",
            f"{p50:.1f} ms = {ratio:.1f}× {SMALL:,}",
            f"≤ {RATIO}× ({base:.1f} ms)",
            ratio <= RATIO,
        )
    return met


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "migrate":
        data.setup_django(sys.argv[2])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "fill":
        fill(sys.argv[2], int(sys.argv[3]))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "measure":
        return child_exit(measure(sys.argv[2], sys.argv[3]))
    print(f"admin changelists at {LARGE:,} rows against {SMALL:,}, p50 of {RUNS} runs each, alternately:")
    met = True
    for small_url, large_url in zip(
        data.database_urls(f"{BENCH}_small"), data.database_urls(f"{BENCH}_large"), strict=True
    ):
        vendor = small_url.split(":", 1)[0]
        problem = data.create(small_url)
        if problem:
            row(BENCH, f"{vendor}: skipped", problem[:60], "", None)
            continue
        try:
            started = time.perf_counter()
            # Migrated once, copied, then filled side by side.
            if subprocess.run([sys.executable, __file__, "migrate", small_url, "0"]).returncode:
                return 2
            data.clone(small_url, large_url)
            fills = [
                subprocess.Popen([sys.executable, __file__, "fill", url, str(rows)])  # side by side
                for url, rows in ((small_url, SMALL), (large_url, LARGE))
            ]
            if any(process.wait() for process in fills):
                return 2  # a crash fails even a smoke run
            row(BENCH, f"{vendor}: made both databases", f"{time.perf_counter() - started:.1f} s", "", None)
            returncode = subprocess.run([sys.executable, __file__, "measure", small_url, large_url]).returncode
        finally:
            data.drop(small_url)
            data.drop(large_url)
        child = child_met(returncode)
        if child is None:
            return 2  # a crash fails even a smoke run
        met &= child
    return exit_code(met)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
