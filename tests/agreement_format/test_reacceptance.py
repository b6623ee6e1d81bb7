"""A changed agreement published with "licensees must re-accept": Alice, who holds a licence, sees what
changed clause by clause and accepts it before she sees the delivery instructions again; she is
nudged on the reminder schedule; requests in progress keep the version they were made under.
"""

import datetime
import html
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests_app.agreement_format import diff
from requests_app.agreement_format.loading import load_dataset_file, sha256_text
from requests_app.models import ClauseAcceptance, DeliveryView, IssuedAgreement, Notification, Reacceptance
from requests_app.notifications import reminders
from tests import journeys
from tests.factories import UserFactory
from tests.paths import LAGPER_TOML, ROOT

LAGPER = LAGPER_TOML.read_text(encoding="utf-8")
# A format 2 file, which can say `licensees_must_reaccept` itself.
LSASRD_TOML = ROOT / "datasets" / "examples" / "lsasrd.toml"
LSASRD = LSASRD_TOML.read_text(encoding="utf-8")
LSASRD_REACCEPT = 'version = "1"\ntitle'
RETENTION = "The researcher(s) will delete LSASRD within one year of the end of the research it was obtained for."
OLD = "may not be used in any commercial activity"
NEW = "may not be used in any commercial or military activity"


def days(n):
    return datetime.timedelta(days=n)


@pytest.fixture
def publish(tmp_path, django_capture_on_commit_callbacks):
    def run(text=LAGPER.replace(OLD, NEW), **kwargs):
        path = tmp_path / "lagper.toml"
        path.write_text(text, encoding="utf-8")
        with django_capture_on_commit_callbacks(execute=True):
            return load_dataset_file(path, **kwargs)

    return run


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.run_sweeps()

    return run


@pytest.fixture
def licence(alice, bob):
    return journeys.approved(applicant=alice, dataset=bob.reviewed_datasets.get(), reviewer=bob)


@pytest.fixture
def in_progress(charlie, lagper):
    return journeys.submitted(applicant=charlie, dataset=lagper)


def test_word_diff_marks_removed_and_added_words():
    changes = diff.clause_changes(
        [{"number": 1, "title": "A", "text": "one two three"}, {"number": 2, "title": "B", "text": "gone"}],
        [{"number": 1, "title": "A", "text": "one 2 three four"}],
    )
    assert [c.status for c in changes] == ["changed", "removed"]
    assert [op for op in changes[0].words if op[0] != "equal"] == [
        ("delete", "two"),
        ("insert", "2"),
        ("insert", " four"),
    ]


def test_licensees_must_reaccept_a_changed_agreement_and_requests_in_progress_keep_theirs(
    licence, in_progress, publish, alice_client, lagper
):
    mail.outbox.clear()
    old_version = licence.agreement_version
    result = publish(licensees_must_reaccept=True)
    new_version = result.agreement_version
    assert result.version_created and new_version.reacceptance_required

    waiting = Reacceptance.objects.get()
    assert (waiting.request, waiting.agreement_version, waiting.sha256) == (licence, new_version, new_version.sha256)
    assert [m.to for m in mail.outbox] == [["alice@uni.example"]]
    assert "the LAGPeR agreement changed" in mail.outbox[0].subject
    assert licence.get_absolute_url() in mail.outbox[0].body
    in_progress.refresh_from_db()
    assert in_progress.agreement_version == old_version  # still the one it was made under
    assert lagper.current_agreement == new_version  # new applications get the new one

    page = alice_client.get(licence.get_absolute_url()).content.decode()
    assert "Re-acceptance needed" in page
    assert "Clause 3 (Commercial Use): changed" in page and "Clause 1 (Requests): unchanged" in page
    assert re.search(r"<ins[^>]*>or military </ins>", page)
    assert "delivery-instructions" not in page
    assert not DeliveryView.objects.exists()

    url = reverse("requests_app:request_reaccept", args=[licence.reference])
    response = alice_client.post(url, {"clause_1": "on"}, follow=True)
    assert "Accept each changed clause to continue: clause 3." in response.content.decode()
    assert Reacceptance.objects.get().accepted_at is None

    alice_client.post(url, {"clause_3": "on"}, HTTP_USER_AGENT="Firefox")
    waiting.refresh_from_db()
    assert waiting.accepted_at is not None
    accepted = ClauseAcceptance.objects.get(agreement_version=new_version)
    assert (accepted.request, accepted.clause_number, accepted.text_sha256, accepted.user_agent) == (
        licence,
        3,
        sha256_text(new_version.clauses[2]["text"]),
        "Firefox",
    )
    page = alice_client.get(licence.get_absolute_url()).content.decode()
    assert "delivery-instructions" in page and "Re-acceptance needed" not in page
    # The signed document is the one signed: version 1, on paper and on the verification page.
    assert set(IssuedAgreement.objects.filter(request=licence).values_list("agreement_version", flat=True)) == {
        old_version.pk
    }
    verify = alice_client.get(reverse("requests_app:verify", args=[licence.token])).content.decode()
    assert f"version {old_version.label}, sha256" in verify


def test_a_changed_agreement_published_without_reacceptance_asks_nothing(licence, publish, alice_client):
    mail.outbox.clear()
    publish()
    assert not Reacceptance.objects.exists() and mail.outbox == []
    assert "delivery-instructions" in alice_client.get(licence.get_absolute_url()).content.decode()


def test_only_the_licensee_can_accept(licence, publish, client, charlie):
    publish(licensees_must_reaccept=True)
    client.force_login(charlie)
    response = client.post(reverse("requests_app:request_reaccept", args=[licence.reference]), {"clause_3": "on"})
    assert response.status_code == 404
    assert Reacceptance.objects.get().accepted_at is None


def test_nudges_follow_the_reminder_schedule_once_each_until_accepted(licence, publish, sweep, clock, alice_client):
    publish(licensees_must_reaccept=True)
    required_at = Reacceptance.objects.get().required_at
    mail.outbox.clear()

    clock.move_to(required_at + days(3) - datetime.timedelta(seconds=1))
    sweep()
    assert mail.outbox == []
    clock.move_to(required_at + days(3))
    sweep()
    sweep()
    assert [m.subject for m in mail.outbox] == [
        f"[Licence portal] {licence.reference}: the changed LAGPeR agreement is still to accept"
    ]
    assert "changed 3 days ago" in mail.outbox[0].body
    clock.move_to(required_at + days(10))
    sweep()
    assert len(mail.outbox) == 2 and "changed 10 days ago" in mail.outbox[1].body
    assert Notification.objects.filter(kind="reacceptance_nudge").count() == 2

    alice_client.post(reverse("requests_app:request_reaccept", args=[licence.reference]), {"clause_3": "on"})
    clock.move_to(required_at + days(40))
    sweep()
    assert len([m for m in mail.outbox if "still to accept" in m.subject]) == 2


def test_a_newer_change_supersedes_a_waiting_reacceptance(licence, publish):
    first = publish(text=LAGPER.replace(OLD, NEW), licensees_must_reaccept=True).agreement_version
    second = publish(text=LAGPER.replace(OLD, "may not be used in any paid activity"), licensees_must_reaccept=True)
    waiting = Reacceptance.objects.get()
    assert waiting.agreement_version == second.agreement_version != first


@pytest.fixture
def lsasrd_licence(alice, bob):
    """Alice's active LSASRD licence, granted by bob."""
    dataset = load_dataset_file(LSASRD_TOML).dataset
    dataset.reviewers.add(bob)
    return journeys.approved(applicant=alice, dataset=dataset, reviewer=bob)


def publish_lsasrd(tmp_path, text: str, capture):
    assert LSASRD_REACCEPT in text
    path = tmp_path / "lsasrd.toml"
    path.write_text(text.replace(LSASRD_REACCEPT, 'version = "2"\nlicensees_must_reaccept = true\ntitle', 1), "utf-8")
    with capture(execute=True):
        return load_dataset_file(path)  # no argument: the file's key decides


def test_the_files_key_alone_makes_licensees_reaccept_a_changed_agreement(
    lsasrd_licence, tmp_path, alice_client, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    changed = LSASRD.replace("will not be modified.", "will not be modified or adapted.")

    result = publish_lsasrd(tmp_path, changed, django_capture_on_commit_callbacks)

    assert result.version_created and result.agreement_version.reacceptance_required
    waiting = Reacceptance.objects.get()
    assert (waiting.request, waiting.agreement_version) == (lsasrd_licence, result.agreement_version)
    assert [m.to for m in mail.outbox] == [["alice@uni.example"]]
    page = alice_client.get(lsasrd_licence.get_absolute_url()).content.decode()
    assert "Re-acceptance needed" in page and "delivery-instructions" not in page
    assert "Clause 2 (Modification): changed" in page and "Clause 1 (Redistribution): unchanged" in page
    assert '<del class="text-danger">modified.</del><ins class="text-success">modified or adapted.</ins>' in page


def test_a_clause_added_in_a_new_version_is_shown_added_and_accepted_alone(
    lsasrd_licence, tmp_path, alice_client, django_capture_on_commit_callbacks
):
    signers = "[[agreement.signers]]"
    added = LSASRD.replace(signers, f'[[agreement.clauses]]\ntitle = "Retention"\ntext = "{RETENTION}"\n\n{signers}', 1)
    new_version = publish_lsasrd(tmp_path, added, django_capture_on_commit_callbacks).agreement_version

    page = alice_client.get(lsasrd_licence.get_absolute_url()).content.decode()
    assert "Clause 8 (Retention): added" in page
    assert f'<ins class="text-success">Retention\n{RETENTION}</ins>' in page
    assert "Clause 7 (Indemnification): unchanged" in page
    assert re.findall(r'name="(clause_\d+)"', page.split('id="reacceptance"')[1]) == ["clause_8"]

    alice_client.post(reverse("requests_app:request_reaccept", args=[lsasrd_licence.reference]), {"clause_8": "on"})

    assert Reacceptance.objects.get().accepted_at is not None
    accepted = ClauseAcceptance.objects.get(agreement_version=new_version)
    assert (accepted.request, accepted.clause_number, accepted.text_sha256) == (
        lsasrd_licence,
        8,
        sha256_text(RETENTION),
    )
    assert "delivery-instructions" in alice_client.get(lsasrd_licence.get_absolute_url()).content.decode()


def test_the_admin_publish_checkbox_asks_for_reacceptance(licence, client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.post(
        "/admin/requests_app/dataset/publish/",
        {"file": SimpleUploadedFile("lagper.toml", LAGPER.replace(OLD, NEW).encode())},
    ).content.decode()
    assert "Holders of an active licence must accept the changed clauses" in page
    content = html.unescape(re.search(r'name="content" value="([^"]*)"', page, re.S).group(1))
    digest = re.search(r'name="content_sha256" value="([0-9a-f]{64})"', page).group(1)
    client.post(
        "/admin/requests_app/dataset/publish/",
        {
            "content": content,
            "content_sha256": digest,
            "licensees_must_reaccept": "on",
            "publish": "1",
        },
    )
    assert Reacceptance.objects.get().request == licence


def test_my_requests_lists_the_licence_as_needing_reacceptance_without_a_query_more(
    licence, publish, alice_client, django_assert_num_queries
):
    publish(licensees_must_reaccept=True)
    alice_client.get(reverse("requests_app:my_requests"))  # warm the session
    with django_assert_num_queries(4):  # as many as without a changed agreement: session, user, navbar, the list
        page = alice_client.get(reverse("requests_app:my_requests")).content.decode()
    assert "Re-acceptance needed" in page
