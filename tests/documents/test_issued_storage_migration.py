"""Issued agreements made while their bytes lived in the database move into the file storage whole:
every row gets a file holding exactly its bytes, a removed one gets none, and going back restores them."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

MOVE = ("requests_app", "0023_issued_agreements_in_storage")


def migrate(targets=None):
    """To `targets`, or (None) to every app's latest migration, as the other tests expect the database."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets or executor.loader.graph.leaf_nodes()).apps


def before_the_move():
    """The database state the move starts from, whatever migration it comes after."""
    graph = MigrationExecutor(connection).loader.graph
    return sorted(parent.key for parent in graph.node_map[MOVE].parents)


def pdf(n: int) -> bytes:
    return b"%PDF-1.7\n" + f"issue {n} ".encode() * (50 * n) + b"\x00\xff binary\n%%EOF"


@pytest.mark.django_db(transaction=True)
def test_every_issued_pdf_moves_into_the_storage_and_back_without_losing_a_byte(private_media):
    old = migrate(before_the_move())
    try:
        User = old.get_model("auth", "User")
        Dataset = old.get_model("requests_app", "Dataset")
        AgreementVersion = old.get_model("requests_app", "AgreementVersion")
        LicenseRequest = old.get_model("requests_app", "LicenseRequest")
        IssuedAgreement = old.get_model("requests_app", "IssuedAgreement")
        now = timezone.now()
        alice = User.objects.create(username="alice", email="alice@uni.example")
        dataset = Dataset.objects.create(
            slug="lagper",
            name="LAGPeR",
            full_name="LAGPeR",
            description="d",
            owner="NWPU",
            contact_email="s@nwpu.example",
            delivery_instructions="i",
            reference_prefix="LAGPER",
        )
        version = AgreementVersion.objects.create(
            dataset=dataset,
            label="1",
            title="t",
            clauses=[],
            signer_fields=[],
            sha256="0" * 64,
            published_at=now,
        )
        made = {}
        for reference, issues in (("LAGPER-1", [1, 2]), ("LAGPER-2", [3]), ("LAGPER-3", [0])):
            request = LicenseRequest.objects.create(
                reference=reference,
                token=reference,
                applicant=alice,
                dataset=dataset,
                agreement_version=version,
            )
            for number, n in enumerate(issues, 1):
                data = pdf(n) if n else b""  # LAGPER-3's personal data was removed: no bytes left
                IssuedAgreement.objects.create(
                    request=request,
                    agreement_version=version,
                    issue=number,
                    pdf=data,
                    pages=1,
                    issued_at=now,
                    sha256=hashlib.sha256(pdf(n) if n else b"gone").hexdigest(),
                    length=len(data),
                )
                made[(reference, number)] = data

        new = migrate([MOVE])
        moved = {
            (row.request.reference, row.issue): row
            for row in new.get_model("requests_app", "IssuedAgreement").objects.select_related("request")
        }
        assert set(moved) == set(made)
        for key, data in made.items():
            row = moved[key]
            if not data:
                assert not row.file.name, key
                continue
            assert row.file.name.startswith("issued_agreements/") and row.file.name.endswith(".pdf")
            with default_storage.open(row.file.name, "rb") as stored:
                assert stored.read() == data, key
            assert hashlib.sha256(data).hexdigest() == row.sha256
        assert len({row.file.name for row in moved.values() if row.file.name}) == 3
        assert sorted(p.relative_to(private_media).as_posix() for p in private_media.rglob("*.pdf")) == sorted(
            row.file.name for row in moved.values() if row.file.name
        )

        back = migrate(before_the_move())
        restored = {
            (row.request.reference, row.issue): bytes(row.pdf)
            for row in back.get_model("requests_app", "IssuedAgreement").objects.select_related("request")
        }
        assert restored == made
    finally:
        migrate()
