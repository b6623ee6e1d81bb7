"""The state machine is declared once, drawn in the README from that declaration, and is the only writer of status."""

import re

import pytest
from django.utils.module_loading import import_string

from requests_app import workflow
from requests_app.models import LicenseRequest
from tests import journeys
from tests.factories import UserFactory
from tests.paths import ROOT


def test_the_readme_draws_the_declared_state_machine():
    readme = (ROOT / "README.md").read_text()
    assert f"```mermaid\n{workflow.mermaid()}\n```" in readme


def test_every_status_is_reachable_from_a_draft():
    reached, frontier = {workflow.INITIAL}, [workflow.INITIAL]
    while frontier:
        status = frontier.pop()
        for move in workflow.TRANSITIONS:
            if move.allows(status) and move.target not in reached:
                reached.add(move.target)
                frontier.append(move.target)
    assert reached == set(workflow.Status.values)


def test_every_transition_names_a_service_that_exists():
    for move in workflow.TRANSITIONS:
        assert callable(import_string(move.service_path)), move.service_path


# Writing `status` anywhere but workflow.py: an UPDATE naming it, or an assignment to `.status`.
STATUS_WRITE = re.compile(r"\.update\([^)]*\bstatus=|\.status\s*=[^=]")


def test_nothing_but_the_workflow_writes_a_status():
    writers = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "requests_app").rglob("*.py")
        if "migrations" not in path.parts and path.name != "workflow.py" and STATUS_WRITE.search(path.read_text())
    ]
    assert writers == []


def test_a_stranger_cannot_make_the_applicants_move(alice, lagper):
    request = journeys.submitted(applicant=alice, dataset=lagper)
    with pytest.raises(workflow.TransitionNotAllowed, match="Only the applicant"):
        workflow.perform(workflow.WITHDRAW, request=request, actor=UserFactory())
    assert LicenseRequest.objects.get(pk=request.pk).status == workflow.Status.AWAITING_SIGNATURE


def test_someone_who_does_not_review_the_dataset_cannot_decide(alice, lagper):
    request = journeys.under_review(applicant=alice, dataset=lagper)
    with pytest.raises(workflow.TransitionNotAllowed, match="Only a reviewer of the dataset"):
        workflow.perform(workflow.APPROVE, request=request, actor=alice)


def test_only_the_portal_expires_a_licence(alice, lagper, bob):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    with pytest.raises(workflow.TransitionNotAllowed, match="Only the portal"):
        workflow.perform(workflow.EXPIRE, request=licence, actor=bob)
    assert [e.to_status for e in licence.events.all()] == ["draft", "awaiting_signature", "under_review", "approved"]
