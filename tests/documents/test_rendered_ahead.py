"""Alice's agreement is drawn before the transaction that issues it, and issued only as her request is committed."""

import pytest
from django.db import connection

from requests_app.applications.services import application_save, request_save_draft
from requests_app.documents import services
from requests_app.documents.services import agreement_issue, agreement_render_ahead
from requests_app.models import LicenseRequest
from tests import journeys
from tests.documents.test_pdf import pdf_text


@pytest.fixture
def transaction_open_at_render(monkeypatch) -> list[bool]:
    """For each agreement rendered, whether a transaction was open meanwhile."""
    seen: list[bool] = []
    render = services.render_agreement_with_areas

    def recorded(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return render(*args, **kwargs)

    monkeypatch.setattr(services, "render_agreement_with_areas", recorded)
    return seen


@pytest.mark.django_db(transaction=True)
def test_submitting_a_draft_and_resubmitting_a_correction_render_once_each_with_no_transaction_open(
    alice, bob, lagper, transaction_open_at_render
):
    draft = journeys.draft(applicant=alice, dataset=lagper)
    request = application_save(
        applicant=alice,
        dataset=lagper,
        request=draft,
        fields=journeys.application(lagper),
        submit=True,
        ip=None,
        user_agent="a browser",
    )
    journeys.reissued(request, reviewer=bob)

    assert transaction_open_at_render == [False, False]
    for issued in request.issued_agreements.all():
        assert all(f"{request.reference} · issue {issued.issue} ·" in page for page in pdf_text(bytes(issued.pdf)))


def test_an_agreement_rendered_before_another_tab_saved_the_draft_prints_what_was_saved(alice, lagper):
    draft = journeys.draft(applicant=alice, dataset=lagper)
    ahead = agreement_render_ahead(request=draft, changes={})
    other_tab = LicenseRequest.objects.get(pk=draft.pk)
    request_save_draft(request=other_tab, fields={"organisation": "ANOTHER TAB UNIVERSITY"})

    issued = agreement_issue(request=draft, ahead=ahead)

    text = " ".join(pdf_text(bytes(issued.pdf)))
    assert "ANOTHER TAB UNIVERSITY" in text
    assert "EXAMPLE UNIVERSITY" not in text


def test_an_agreement_rendered_for_an_issue_taken_meanwhile_is_issued_with_its_own_number(alice, lagper):
    request = journeys.submitted(applicant=alice, dataset=lagper)
    ahead = agreement_render_ahead(request=request, changes={})
    agreement_issue(request=request)  # meanwhile: the issue it was rendered for

    issued = agreement_issue(request=request, ahead=ahead)

    assert (ahead.issue, issued.issue) == (2, 3)
    assert all(f"{request.reference} · issue 3 ·" in page for page in pdf_text(bytes(issued.pdf)))
