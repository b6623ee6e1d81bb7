"""Datasets and agreements are data: `load_dataset` reads datasets/<slug>.toml, changes nothing when
nothing changed, makes a new agreement version when the words change, and refuses a malformed file
whole, saying which file, which key and what is wrong.
"""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.models import AgreementVersion, Dataset, LicenseRequest
from tests.factories import LicenseRequestFactory
from tests.paths import LAGPER_TOML

AGREEMENT_TXT = Path("/work/shared/agreements/LAGPeR-agreement.txt")
LAGPER = LAGPER_TOML.read_text(encoding="utf-8")
CLAUSE_3 = "LAGPeR Dataset is made available exclusively for research purposes"


def load(*paths) -> str:
    out = StringIO()
    call_command("load_dataset", *[str(p) for p in paths], stdout=out)
    return out.getvalue()


def write_variant(tmp_path, old: str, new: str, name="lagper.toml") -> Path:
    """lagper.toml with one piece of text replaced, the way an owner would edit it."""
    assert old in LAGPER, f"{old!r} is not in lagper.toml"
    path = tmp_path / name
    path.write_text(LAGPER.replace(old, new, 1), encoding="utf-8")
    return path


def counts():
    return Dataset.objects.count(), AgreementVersion.objects.count()


def clauses_of_the_signed_agreement() -> list[dict]:
    """The four numbered clauses of the agreement NWPU publishes, as its text file words them."""
    found = re.findall(r"^- (\d+)\.([^:\n]+): (.+)$", AGREEMENT_TXT.read_text(encoding="utf-8"), re.MULTILINE)
    return [{"number": int(n), "title": title, "text": text.strip()} for n, title, text in found]


def test_the_clauses_are_the_agreements_words_verbatim(db):
    load(LAGPER_TOML)
    expected = clauses_of_the_signed_agreement()
    assert len(expected) == 4
    assert AgreementVersion.objects.get().clauses == expected


def test_lagper_is_loaded_with_its_owner_contact_citation_and_signer_fields(db):
    output = load(LAGPER_TOML)
    dataset = Dataset.objects.get()
    assert "dataset lagper created or updated; agreement version 1 new." in output
    assert (dataset.owner, dataset.contact_name, dataset.contact_email) == (
        "Northwestern Polytechnical University",
        "Shining Wang",
        "wangshining@mail.nwpu.edu.cn",
    )
    assert "SeCap" in dataset.citation_text and dataset.citation_bibtex.startswith("@inproceedings{")
    fields = {f["name"]: f["capitals"] for f in dataset.current_agreement.signer_fields}
    assert fields["representative_name"] and fields["organisation"] and fields["address"]
    assert not fields["representative_title"]


def test_loading_the_same_file_twice_changes_nothing(db):
    load(LAGPER_TOML)
    before = counts(), AgreementVersion.objects.get().sha256, Dataset.objects.values().get()

    with CaptureQueriesContext(connection) as queries:
        output = load(LAGPER_TOML)

    assert "dataset lagper unchanged; agreement version 1 unchanged." in output
    assert (counts(), AgreementVersion.objects.get().sha256, Dataset.objects.values().get()) == before
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_a_changed_clause_makes_a_new_version_and_leaves_the_signed_one_alone(db, alice, tmp_path):
    load(LAGPER_TOML)
    old = AgreementVersion.objects.get()
    request = LicenseRequestFactory(dataset=old.dataset, applicant=alice)
    old_row = AgreementVersion.objects.values().get(pk=old.pk)

    output = load(write_variant(tmp_path, CLAUSE_3, CLAUSE_3 + " (amended)"))

    assert "agreement version 1-" in output and " new." in output
    assert AgreementVersion.objects.count() == 2
    assert AgreementVersion.objects.values().get(pk=old.pk) == old_row
    new = Dataset.objects.get().current_agreement
    assert new.pk != old.pk and new.sha256 != old.sha256
    assert "(amended)" in new.clauses[2]["text"]
    request.refresh_from_db()
    assert request.agreement_version_id == old.pk


def test_going_back_to_an_earlier_wording_is_refused_and_changes_nothing(db, tmp_path):
    load(LAGPER_TOML)
    load(write_variant(tmp_path, CLAUSE_3, CLAUSE_3 + " (amended)"))
    before = (
        Dataset.objects.values().get(),
        list(AgreementVersion.objects.values()),
        Dataset.objects.get().current_agreement,
    )
    reverted = write_variant(tmp_path, "turnaround_days = 10", "turnaround_days = 20", name="reverted.toml")

    with pytest.raises(CommandError, match=r"reverted\.toml: agreement: is the wording of version 1, which version 1-"):
        load(reverted)
    assert (
        Dataset.objects.values().get(),
        list(AgreementVersion.objects.values()),
        Dataset.objects.get().current_agreement,
    ) == before


def test_a_changed_description_updates_the_dataset_but_not_the_agreement(db, tmp_path):
    load(LAGPER_TOML)
    sha = AgreementVersion.objects.get().sha256
    load(write_variant(tmp_path, "turnaround_days = 10", "turnaround_days = 15"))
    assert Dataset.objects.get().turnaround_days == 15
    assert list(AgreementVersion.objects.values_list("sha256", flat=True)) == [sha]


MALFORMED = {
    "bad TOML": ('name = "LAGPeR"', 'name = "LAGPeR', "(file)", "is not valid TOML"),
    "missing key": ('owner = "Northwestern Polytechnical University"\n', "", "owner", "is missing"),
    "wrong type": ("turnaround_days = 10", 'turnaround_days = "ten"', "turnaround_days", "whole number"),
    "clause out of order": ("number = 3", "number = 5", "agreement.clauses[2].number", "must be 3"),
    "unknown signer field": (
        'name = "unit"',
        'name = "favourite_colour"',
        "agreement.signer_fields[5].name",
        "must be one of",
    ),
    "capitals not a boolean": (
        "capitals = true",
        'capitals = "yes"',
        "agreement.signer_fields[0].capitals",
        "true or false",
    ),
    "name too long": ('name = "LAGPeR"', f'name = "{"L" * 101}"', "name", "at most 100 characters"),
    "bad email": (
        'contact_email = "wangshining@mail.nwpu.edu.cn"',
        'contact_email = "wang@"',
        "contact_email",
        "valid email",
    ),
    "first clause missing": (
        "[[agreement.clauses]]\nnumber = 1\n",
        "[[agreement.clauses]]\nnumber = 0\n",
        "agreement.clauses[0].number",
        "must be 1",
    ),
    "misspelt key": ("turnaround_days = 10", "turnaround_dyas = 10", "turnaround_dyas", "is not a key of the format"),
    "misspelt table": (
        "[[agreement.clauses]]",
        "[[agreement.clause]]",
        "agreement.clause",
        "is not a key of the format",
    ),
    "misspelt field key": (
        "capitals = true",
        "capital = true",
        "agreement.signer_fields[0].capital",
        "is not a key of the format",
    ),
    "field listed twice": ('name = "unit"', 'name = "address"', "agreement.signer_fields[5].name", "listed twice"),
    "romanised unit": (
        'name = "unit"\n',
        'name = "unit"\nromanised = true\n',
        "agreement.signer_fields[5].romanised",
        "is possible only for representative_name, organisation",
    ),
}


@pytest.mark.parametrize("old, new, key, problem", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_file_is_refused_and_writes_nothing(db, tmp_path, old, new, key, problem):
    path = write_variant(tmp_path, old, new)
    with pytest.raises(CommandError) as refused:
        load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert problem in message
    assert counts() == (0, 0)


def test_every_problem_of_a_format_1_file_is_reported_at_once_with_its_line(db, tmp_path):
    text = LAGPER.replace("turnaround_days = 10", "turnaround_dyas = 10").replace(
        'label = "Date"', 'label = "Date"\nrequird = false'
    )
    path = tmp_path / "lagper.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        load(path)
    lines = text.splitlines()
    reported = {}
    for line in str(refused.value).splitlines():
        problem, number = line.rsplit(" (line ", 1)
        reported[problem] = lines[int(number.rstrip(")")) - 1]
    assert reported == {
        f"{path}: turnaround_dyas: is not a key of the format (a typo?)": "turnaround_dyas = 10",
        f"{path}: agreement.signer_fields[2].requird: is not a key of the format (a typo?)": "requird = false",
    }
    assert counts() == (0, 0)


def test_a_malformed_update_leaves_the_loaded_dataset_as_it_was(db, tmp_path):
    load(LAGPER_TOML)
    before = Dataset.objects.values().get(), list(AgreementVersion.objects.values())
    broken = write_variant(tmp_path, "number = 4", "number = 7")
    changed_and_broken = broken.read_text().replace("turnaround_days = 10", "turnaround_days = 3")
    broken.write_text(changed_and_broken)
    with pytest.raises(CommandError):
        load(broken)
    assert (Dataset.objects.values().get(), list(AgreementVersion.objects.values())) == before


def test_a_bad_second_file_leaves_the_first_unloaded(db, tmp_path):
    other = write_variant(tmp_path, 'slug = "lagper"', 'slug = "Other Set"', name="other.toml")
    with pytest.raises(CommandError, match="slug"):
        load(LAGPER_TOML, other)
    assert counts() == (0, 0)


def test_two_datasets_cannot_share_a_reference_prefix(db, tmp_path):
    load(LAGPER_TOML)
    other = write_variant(tmp_path, 'slug = "lagper"', 'slug = "lagper-two"', name="other.toml")
    with pytest.raises(CommandError, match=r"reference_prefix: is already used by dataset 'lagper'"):
        load(other)
    assert counts() == (1, 1)


def test_a_missing_file_is_named(db, tmp_path):
    with pytest.raises(CommandError, match=r"nowhere\.toml: \(file\): does not exist"):
        load(tmp_path / "nowhere.toml")
    assert not LicenseRequest.objects.exists()


def test_the_dataset_page_lists_the_facts_in_the_files_order(client, db):
    load(LAGPER_TOML)
    body = client.get("/datasets/lagper/").content.decode()
    labels = ["Images", "Identities", "Cameras", "Drone altitude", "Training / evaluation IDs"]
    positions = [body.index(f'<th scope="row">{label}</th>') for label in labels]
    assert positions == sorted(positions)
