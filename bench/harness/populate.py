"""Migrates the bench's throw-away database and fills it; prints what the client needs as one JSON line.

    python -m bench.harness.populate '{"queue": 2000, "applicants": 4000}'

Run with the environment of the server it prepares (DATABASE_URL, the settings module). Builds:
LAGPeR from datasets/lagper.toml; bob, its reviewer, whose session passed the second factor;
alice, a licensee whose request went every step through the services (the status page);
`queue` requests under review for the queue's pages; `applicants` verified researchers with no
request yet, one per journey of the burst. Every person comes with a signed-in session.
"""

import datetime
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def main(options: dict) -> dict:
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.contrib import auth
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction

    from requests_app import clock
    from requests_app.access.mfa import SESSION_KEY as SECOND_FACTOR_PASSED
    from requests_app.agreement_format.loading import load_dataset_file
    from requests_app.models import LicenseRequest
    from requests_app.review.services import reviewer_grant
    from tests import journeys

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    User = get_user_model()

    def session_of(user, **extra) -> str:
        session = SessionStore()
        session.update(
            {
                auth.SESSION_KEY: str(user.pk),
                auth.BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                auth.HASH_SESSION_KEY: user.get_session_auth_hash(),
                **extra,
            }
        )
        session.create()
        return session.session_key

    with transaction.atomic():
        dataset = load_dataset_file(ROOT / "datasets" / "lagper.toml").dataset
        bob = User.objects.create(username="bob", email="bob@nwpu.example")
        reviewer_grant(dataset=dataset, reviewer=bob)
        alice = User.objects.create(username="alice", email="alice@uni.example")
        licence = journeys.approved(applicant=alice, dataset=dataset, reviewer=bob)

        people = User.objects.bulk_create(
            User(username=f"bench{i}", email=f"bench{i}@uni.example", password="!")
            for i in range(max(options["queue"] // 10, 1) + options["applicants"])
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in [alice, *people]
        )
        queue_applicants, applicants = (
            people[: -options["applicants"] or None],
            people[len(people) - options["applicants"] :],
        )
        now, version = clock.now(), dataset.current_agreement
        LicenseRequest.objects.bulk_create(
            (
                LicenseRequest(
                    reference=f"LAGPER-2025-{i:06d}",
                    applicant=queue_applicants[i % len(queue_applicants)],
                    dataset=dataset,
                    agreement_version=version,
                    status=LicenseRequest.Status.UNDER_REVIEW,
                    submitted_at=now - datetime.timedelta(minutes=37 * i + 1),
                    representative_name=f"REPRESENTATIVE {i}",
                    organisation=f"UNIVERSITY {i % 500}",
                    email=f"rep{i}@uni.example",
                    research_purpose="Benchmarking.",
                )
                for i in range(options["queue"])
            ),
            batch_size=1000,
        )
        figures = {
            "dataset": dataset.slug,
            "licence": licence.reference,
            "bob": session_of(bob, **{SECOND_FACTOR_PASSED: str(bob.pk)}),
            "alice": session_of(alice),
            "applicants": [session_of(user) for user in applicants],
        }
    figures["seconds"] = {"migrate": round(migrated - started, 1), "data": round(time.perf_counter() - migrated, 1)}
    return figures


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
