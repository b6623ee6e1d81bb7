"""Requests brought to a state the way people bring them there: through the services.

Each step is what the applicant or reviewer does; a test that needs a request under review gets
one that was submitted, issued its agreement and sent a signed copy, with every event on record.
"""

import datetime

from requests_app import clock
from requests_app.agreement_format import reacceptance, spec
from requests_app.agreement_format.loading import load_dataset_file
from requests_app.applications.services import application_save, request_expire, request_resubmit, request_withdraw
from requests_app.documents.services import signed_copy_record
from requests_app.documents.signed_copies import CheckedUpload, UploadedPart
from requests_app.models import LicenseRequest
from requests_app.review.services import request_approve, request_reject, request_return_for_correction, request_revoke

from .paths import LAGPER_TOML

APPLICATION = {
    "representative_name": "PROF. LI WEI",
    "representative_title": "Dean of the School of Computing",
    "organisation": "EXAMPLE UNIVERSITY",
    "unit": "Vision Lab, School of Computing",
    "address": "1 UNIVERSITY ROAD, SPRINGFIELD",
    "email": "dean@uni.example",
    "research_purpose": "Benchmarking aerial-ground person re-identification.",
}


def application(dataset, **fields) -> dict:
    """What alice types in the form (capitals where the agreement asks), signed today: of LAGPeR's
    answers, those the dataset's agreement asks for."""
    asked = {name for name, _label in spec.value_names(dataset.current_agreement)}
    typed = {name: value for name, value in {**APPLICATION, "signing_date": clock.today()}.items() if name in asked}
    return {**typed, **fields}


def draft(*, applicant, dataset, **fields) -> LicenseRequest:
    """Started and saved, not submitted: nothing accepted, nothing issued."""
    return application_save(
        applicant=applicant,
        dataset=dataset,
        request=None,
        fields=application(dataset, **fields),
        submit=False,
        ip=None,
        user_agent="journeys",
    )


def submitted(*, applicant, dataset, draft: LicenseRequest | None = None, **fields) -> LicenseRequest:
    """Applied (or `draft` sent), every clause accepted: the agreement is issued and awaits the signed copy."""
    return application_save(
        applicant=applicant,
        dataset=dataset,
        request=draft,
        fields=application(dataset, **fields),
        submit=True,
        ip="203.0.113.7",
        user_agent="journeys",
    )


def signed_copy_sent(request: LicenseRequest) -> LicenseRequest:
    """The applicant sends back the latest issued agreement, as a scan that passed its check."""
    issued = request.issued_agreements.order_by("-issue").first()
    checked = CheckedUpload(
        issued=issued,
        parts=[UploadedPart("signed.pdf", "application/pdf", bytes(issued.pdf))],
        kind="scan_qr_checked",
        page_results=[],
        summary="every page of this agreement",
    )
    signed_copy_record(request=request, user=request.applicant, checked=checked)
    return request


def under_review(*, applicant, dataset, **fields) -> LicenseRequest:
    return signed_copy_sent(submitted(applicant=applicant, dataset=dataset, **fields))


def returned(request: LicenseRequest, *, reviewer, fields=("unit",), reason="Name the lab.") -> LicenseRequest:
    return request_return_for_correction(request=request, reviewer=reviewer, fields=fields, reason=reason)


def resubmitted(request: LicenseRequest, **fields) -> LicenseRequest:
    changes = fields or {name: getattr(request, name) for name in request.returned_fields}
    return request_resubmit(request=request, user=request.applicant, fields=changes)


def reissued(request: LicenseRequest, *, reviewer) -> LicenseRequest:
    """Signed, returned for correction and resubmitted: the next issue of the agreement awaits the signed copy."""
    return resubmitted(returned(signed_copy_sent(request), reviewer=reviewer))


def approved(*, applicant, dataset, reviewer, expires_at=None, **fields) -> LicenseRequest:
    return request_approve(
        request=under_review(applicant=applicant, dataset=dataset, **fields), reviewer=reviewer, expires_at=expires_at
    )


def many(journey, n: int, *, applicants: list, **kwargs) -> list[LicenseRequest]:
    """n requests each brought through `journey` (under_review, approved, ...), applicants taking turns,
    the i-th from organisation "ORG i". For the rows a query-count or pagination test needs: each one
    renders its agreement, so keep n small (a few rows against a few more, never hundreds).
    """
    return [journey(applicant=applicants[i % len(applicants)], organisation=f"ORG {i}", **kwargs) for i in range(n)]


def in_status(status: str, *, applicant, dataset, reviewer, reason: str = "Unit missing.") -> LicenseRequest:
    """A request brought to `status` along the shortest path the workflow allows, every step a service."""
    Status = LicenseRequest.Status
    if status == Status.DRAFT:
        return draft(applicant=applicant, dataset=dataset)
    if status == Status.AWAITING_SIGNATURE:
        return submitted(applicant=applicant, dataset=dataset)
    request = under_review(applicant=applicant, dataset=dataset)
    if status == Status.UNDER_REVIEW:
        return request
    if status == Status.RETURNED:
        return returned(request, reviewer=reviewer, reason=reason)
    if status == Status.REJECTED:
        return request_reject(request=request, reviewer=reviewer, reason=reason)
    if status == Status.WITHDRAWN:
        return request_withdraw(request=request, user=applicant)
    expires_at = clock.now() + datetime.timedelta(days=1) if status == Status.EXPIRED else None
    request = request_approve(request=request, reviewer=reviewer, expires_at=expires_at)
    if status == Status.REVOKED:
        return request_revoke(request=request, reviewer=reviewer, reason=reason)
    if status == Status.EXPIRED:
        return request_expire(request=request, now=expires_at)
    return request


# --- A changed agreement the licensees must accept ----------------------------------------------------

COMMERCIAL, COMMERCIAL_OR_MILITARY = "commercial activity", "commercial or military activity"


def agreement_changed(lagper, directory, *, must_reaccept: bool = True):
    """LAGPeR's owner publishes clause 3 reworded ("commercial or military"); active licensees must accept it.

    The file keeps what the dataset has besides (its gated repository), as the owner's own file would.
    """
    assert lagper.slug == "lagper"
    text = LAGPER_TOML.read_text(encoding="utf-8").replace(COMMERCIAL, COMMERCIAL_OR_MILITARY)
    path = directory / "lagper.toml"
    path.write_text(f'hf_repo = "{lagper.hf_repo}"\n{text}' if lagper.hf_repo else text, encoding="utf-8")
    return load_dataset_file(path, licensees_must_reaccept=must_reaccept).agreement_version


def reaccepted(licence: LicenseRequest):
    """The licensee ticks every changed clause of the wording they must accept."""
    changes = reacceptance.changes_for(licence, reacceptance.pending(licence))
    return reacceptance.reacceptance_accept(
        request=licence,
        user=licence.applicant,
        clause_numbers={c.number for c in changes if c.needs_acceptance},
        ip="203.0.113.7",
        user_agent="journeys",
    )
