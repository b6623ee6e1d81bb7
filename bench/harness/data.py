"""Throw-away bench databases and the requests in them, made in seconds with bulk_create.

The requests look like a popular dataset's: spread over two years and every status, each with the
history a real request of that status has (submit, upload, decision; a correction for some), so the
queue's per-row flags and the admin's history have rows to read. Events carry their real hash chain.

Used by bench/review_queue.py and bench/admin_changelists.py (bench/export.py and bench/sweep.py
make their own databases, and run on each through each_database):

    for url in database_urls("review_queue"):   # a SQLite file in var/, then bench_<db>_review_queue on PostgreSQL
        create(url)                             # empty; then fill it in a child process: setup_django, populate
        ...
        drop(url)                               # after the run, whatever happened
"""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the project, two folders up from bench/harness/
POSTGRES_DEFAULT = "postgres://postgres@127.0.0.1:5432/portal"


def database_urls(bench: str) -> list[str]:
    """SQLite, then PostgreSQL: the server of DATABASE_URL when it is one, else the local default."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = POSTGRES_DEFAULT
    server, name = base.rsplit("/", 1)
    return [f"sqlite:///{ROOT / 'var' / f'bench-{bench}.sqlite3'}", f"{server}/bench_{name}_{bench}"]


def _postgres(url: str):
    import psycopg

    server, name = url.rsplit("/", 1)
    return psycopg.connect(server + "/postgres", autocommit=True, connect_timeout=3), name


ONE_DATABASE = "BENCH_ONE_DATABASE"  # set in the child each_database runs: measure DATABASE_URL's database


def each_database(script: str) -> int:
    """`script` run on SQLite, then on PostgreSQL (DATABASE_URL's server when it is one, else the local
    default), each in its own process with DATABASE_URL naming that server and ONE_DATABASE set; the
    script makes and drops its own database there. 0 when both met their targets, else 1."""
    sqlite, postgres = database_urls(Path(script).stem)
    codes = []
    for url in (sqlite, postgres):
        problem = url.startswith("postgres") and _unreachable(url)
        if problem:
            print(f"  PostgreSQL skipped: {problem}", flush=True)
            continue
        codes.append(
            subprocess.run(
                [sys.executable, script], env={**os.environ, "DATABASE_URL": url, ONE_DATABASE: "1"}
            ).returncode
        )
    return 0 if not any(codes) else 1


def _unreachable(url: str) -> str | None:
    import psycopg

    try:
        _postgres(url)[0].close()
    except psycopg.OperationalError as error:
        return f"PostgreSQL not reachable: {str(error).strip().splitlines()[0]}"
    return None


def create(url: str) -> str | None:
    """An empty database at `url`; the reason as a sentence when it cannot be had."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
        return None
    problem = _unreachable(url)
    if problem:
        return problem
    conn, name = _postgres(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return None


def clone(source: str, url: str) -> None:
    """`url` made a copy of the (closed) database at `source`, e.g. one migrated once for two runs."""
    if url.startswith("sqlite"):
        import shutil

        shutil.copyfile(source.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
        return
    conn, name = _postgres(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source.rsplit("/", 1)[1]}"')


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        return
    conn, name = _postgres(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_environment(url: str) -> None:
    """The environment of Django on `url` as production runs it (DEBUG off), before django.setup()."""
    os.environ.update(
        DATABASE_URL=url,
        DEBUG="false",
        PORTAL_PROFILE="laptop",
        SECRET_KEY="bench-only-" + "x" * 50,
        LOG_LEVEL="WARNING",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_TASK_ALWAYS_EAGER="true",
        CELERY_BROKER_URL="memory://localhost/",
        # The reviewers' pages are measured, not the second-factor gate in front of them.
        MFA_REQUIRED_FOR_STAFF="false",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")


def setup_django(url: str) -> None:
    """Django on `url`, as production runs it (DEBUG off), migrated."""
    setup_environment(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Each status with the moves that led there (after the draft's first event), as the services write them.
HISTORIES = {
    "awaiting_signature": ["request_submit"],
    "under_review": ["request_submit", "signed_copy_record"],
    "returned": ["request_submit", "signed_copy_record", "request_return_for_correction"],
    "approved": ["request_submit", "signed_copy_record", "request_approve"],
    "rejected": ["request_submit", "signed_copy_record", "request_reject"],
    "revoked": ["request_submit", "signed_copy_record", "request_approve", "request_revoke"],
    "expired": ["request_submit", "signed_copy_record", "request_approve", "request_expire"],
    "withdrawn": ["request_submit", "request_withdraw"],
}


def _insert(cursor, model, columns: list[str], rows) -> list[int]:
    """Rows as tuples straight into `model`'s table: no model instances, for speed."""
    table = model._meta.db_table
    names = ", ".join(f'"{column}"' for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})', list(rows))


def populate(rows: int):
    """`rows` requests of LAGPeR with their events; returns (dataset, a reviewer of it, seconds taken).

    Request i: organisation "UNIVERSITY <i mod 5000>", representative "Representative <i>", email
    rep<i>@bench.example, unit "Vision Lab <i mod 300>", reference BENCH-2026-<i, 7 digits>. Of those
    under review, one in twenty was returned once and resubmitted, and one in three is claimed by the reviewer.
    Written with executemany (the ORM's bulk_create spends ~0.5 ms a row preparing values); the
    database computes the generated columns and fires its triggers as for any other write.
    """
    import secrets

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from requests_app import workflow
    from requests_app.agreement_format.loading import load_dataset_file
    from requests_app.audit.chain import GENESIS, event_hash
    from requests_app.models import LicenseRequest, RequestEvent

    started = time.perf_counter()
    dataset = load_dataset_file(ROOT / "datasets" / "lagper.toml").dataset
    User = get_user_model()
    reviewer = User.objects.create(username="bench-reviewer", email="bob@bench.example", first_name="Bob")
    dataset.reviewers.add(reviewer)
    target = {t.service: t.target for t in workflow.TRANSITIONS}
    statuses = list(HISTORIES)
    now, version = timezone.now(), dataset.current_agreement
    db_time = connection.ops.adapt_datetimefield_value
    stamp = db_time(now)
    applicants = max(rows // 2, 1)
    with transaction.atomic(), connection.cursor() as cursor:
        first_user = reviewer.pk + 1
        _insert(
            cursor,
            User,
            [
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
            ],
            (
                ("!", False, f"applicant{i}", "", "", f"applicant{i}@lab{i % 700}.example", False, True, stamp)
                for i in range(applicants)
            ),
        )
        first_request = (LicenseRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        plan = []
        for i in range(rows):
            status = statuses[i % len(statuses)]
            claimed = status == "under_review" and i % 3 == 0
            plan.append((i, status, now - datetime.timedelta(minutes=(i * 7) % (2 * 365 * 24 * 60)), claimed))
        _insert(
            cursor,
            LicenseRequest,
            [
                "id",
                "reference",
                "token",
                "applicant_id",
                "dataset_id",
                "agreement_version_id",
                "status",
                "submitted_at",
                "representative_name",
                "representative_title",
                "organisation",
                "unit",
                "address",
                "email",
                "phone",
                "research_purpose",
                "decision_reason",
                "returned_fields",
                "values",
                "search_values",
                "hf_username",
                "assignee_id",
                "created_at",
                "updated_at",
            ],
            (
                (
                    first_request + i,
                    f"BENCH-2026-{i:07d}",
                    secrets.token_urlsafe(),
                    first_user + i % applicants,
                    dataset.pk,
                    version.pk,
                    status,
                    db_time(submitted),
                    f"Representative {i}",
                    "Professor",
                    f"UNIVERSITY {i % 5000}",
                    f"Vision Lab {i % 300}",
                    "1 Bench Road",
                    f"rep{i}@bench.example",
                    "",
                    "Benchmarking.",
                    "",
                    "[]",
                    "{}",
                    "",
                    "",
                    reviewer.pk if claimed else None,
                    stamp,
                    stamp,
                )
                for i, status, submitted, claimed in plan
            ),
        )
        events = []
        for i, status, submitted, claimed in plan:
            moves = HISTORIES[status]
            if status == "under_review" and i % 20 == 1:
                moves = moves[:2] + ["request_return_for_correction", "request_resubmit", "signed_copy_record"]
            if claimed:
                moves = moves + ["request_claim"]
            request_id, applicant_id = first_request + i, first_user + i % applicants
            at, previous, from_status = submitted - datetime.timedelta(hours=1), GENESIS, ""
            for seq, move in enumerate([None, *moves], start=1):
                to_status = target[move] if move else workflow.INITIAL
                actor = reviewer.pk if move and _by(move) == workflow.By.REVIEWER else applicant_id
                digest = event_hash(
                    request_id=request_id,
                    seq=seq,
                    actor_id=actor,
                    from_status=from_status,
                    to_status=to_status,
                    note="",
                    at=at,
                    ip="192.0.2.1",
                    prev_hash=previous,
                )
                events.append(
                    (
                        request_id,
                        seq,
                        actor,
                        from_status,
                        to_status,
                        "",
                        db_time(at),
                        "192.0.2.1",
                        previous,
                        digest,
                        move,
                    )
                )
                previous, from_status, at = digest, to_status, at + datetime.timedelta(hours=3)
        _insert(
            cursor,
            RequestEvent,
            [
                "request_id",
                "seq",
                "actor_id",
                "from_status",
                "to_status",
                "note",
                "at",
                "ip",
                "prev_hash",
                "hash",
                "transition",
            ],
            events,
        )
        if connection.vendor == "postgresql":  # ids were given explicitly: move the sequence past them
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [LicenseRequest._meta.db_table, first_request + rows],
            )
    return dataset, reviewer, time.perf_counter() - started


def _by(service: str):
    from requests_app import workflow

    return next(t.by for t in workflow.TRANSITIONS if t.service == service)
