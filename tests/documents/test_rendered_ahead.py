"""Alice's agreement is drawn before the transaction that issues it, and issued only as her request is committed."""

import pytest
from django.db import connection

from requests_app.applications.services import request_save_draft
from requests_app.documents import services
from requests_app.documents.services import agreement_issue, agreement_render_ahead
from requests_app.models import ClauseAcceptance, Dataset, LicenseRequest
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
def test_every_submission_renders_its_agreement_once_with_no_transaction_open(
    alice, bob, charlie, lagper, transaction_open_at_render
):
    new = journeys.submitted(applicant=alice, dataset=lagper)
    from_draft = journeys.submitted(
        applicant=charlie, dataset=lagper, draft=journeys.draft(applicant=charlie, dataset=lagper)
    )
    journeys.reissued(new, reviewer=bob)

    assert transaction_open_at_render == [False, False, False]
    for request in (new, from_draft):
        for issued in request.issued_agreements.all():
            pages = pdf_text(bytes(issued.pdf))
            assert all(f"{request.reference} · issue {issued.issue} ·" in page for page in pages)
            assert "EXAMPLE UNIVERSITY" in " ".join(pages)


def test_a_new_application_whose_agreement_cannot_be_drawn_is_kept_as_a_draft(alice, lagper, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("reportlab failed")

    monkeypatch.setattr(services, "render_agreement_with_areas", broken)
    with pytest.raises(RuntimeError, match="reportlab failed"):
        journeys.submitted(applicant=alice, dataset=lagper)

    draft = LicenseRequest.objects.get()
    assert (draft.status, draft.organisation) == (LicenseRequest.Status.DRAFT, "EXAMPLE UNIVERSITY")
    assert not draft.issued_agreements.exists()
    assert not ClauseAcceptance.objects.exists()


def test_an_agreement_rendered_before_another_tab_saved_the_draft_prints_what_was_saved(alice, lagper):
    draft = journeys.draft(applicant=alice, dataset=lagper)
    ahead = agreement_render_ahead(request=draft, changes={})
    other_tab = LicenseRequest.objects.get(pk=draft.pk)
    request_save_draft(request=other_tab, fields={"organisation": "ANOTHER TAB UNIVERSITY"})

    issued = agreement_issue(request=draft, ahead=ahead)

    text = " ".join(pdf_text(bytes(issued.pdf)))
    assert "ANOTHER TAB UNIVERSITY" in text
    assert "EXAMPLE UNIVERSITY" not in text


def test_an_agreement_rendered_before_the_dataset_was_reloaded_prints_the_owner_as_reloaded(alice, lagper):
    draft = journeys.draft(applicant=alice, dataset=lagper)
    ahead = agreement_render_ahead(request=draft, changes={})
    Dataset.objects.filter(pk=lagper.pk).update(owner="Renamed Polytechnical University")  # as load_dataset does

    issued = agreement_issue(request=draft, ahead=ahead)

    assert "Renamed Polytechnical University" in " ".join(pdf_text(bytes(issued.pdf)))


def test_an_agreement_rendered_for_an_issue_taken_meanwhile_is_issued_with_its_own_number(alice, lagper):
    request = journeys.submitted(applicant=alice, dataset=lagper)
    ahead = agreement_render_ahead(request=request, changes={})
    agreement_issue(request=request)  # meanwhile: the issue it was rendered for

    issued = agreement_issue(request=request, ahead=ahead)

    assert (ahead.issue, issued.issue) == (2, 3)
    assert all(f"{request.reference} · issue 3 ·" in page for page in pdf_text(bytes(issued.pdf)))
