"""Requests brought to a state the way people bring them there: through the services.

Each step is what the applicant or reviewer does; a test that needs a request under review gets
one that was submitted, issued its agreement and sent a signed copy, with every event on record.
"""

import datetime

from requests_app import clock, services
from requests_app.models import LicenseRequest
from requests_app.signed_copies import CheckedUpload, UploadedPart

APPLICATION = {
    "representative_name": "PROF. LI WEI",
    "representative_title": "Dean of the School of Computing",
    "organisation": "EXAMPLE UNIVERSITY",
    "unit": "Vision Lab, School of Computing",
    "address": "1 UNIVERSITY ROAD, SPRINGFIELD",
    "email": "dean@uni.example",
    "research_purpose": "Benchmarking aerial-ground person re-identification.",
}


def application(**fields) -> dict:
    """What alice types in the form (capitals where the agreement asks), signed today."""
    return {**APPLICATION, "signing_date": clock.today(), **fields}


def submitted(*, applicant, dataset, **fields) -> LicenseRequest:
    """Applied, every clause accepted: the agreement is issued and awaits the signed copy."""
    return services.application_save(
        applicant=applicant, dataset=dataset, request=None, fields=application(**fields), submit=True,
        ip="203.0.113.7", user_agent="journeys",
    )


def signed_copy_sent(request: LicenseRequest) -> LicenseRequest:
    """The applicant sends back the latest issued agreement, as a scan that passed its check."""
    issued = request.issued_agreements.order_by("-issue").first()
    checked = CheckedUpload(
        issued=issued, parts=[UploadedPart("signed.pdf", "application/pdf", bytes(issued.pdf))],
        kind="scan_qr_checked", page_results=[], summary="every page of this agreement",
    )
    services.signed_copy_record(request=request, user=request.applicant, checked=checked)
    return request


def under_review(*, applicant, dataset, **fields) -> LicenseRequest:
    return signed_copy_sent(submitted(applicant=applicant, dataset=dataset, **fields))


def returned(request: LicenseRequest, *, reviewer, fields=("unit",), reason="Name the lab.") -> LicenseRequest:
    return services.request_return_for_correction(request=request, reviewer=reviewer, fields=fields, reason=reason)


def resubmitted(request: LicenseRequest, **fields) -> LicenseRequest:
    changes = fields or {name: getattr(request, name) for name in request.returned_fields}
    return services.request_resubmit(request=request, user=request.applicant, fields=changes)


def approved(*, applicant, dataset, reviewer, expires_at=None, **fields) -> LicenseRequest:
    return services.request_approve(
        request=under_review(applicant=applicant, dataset=dataset, **fields), reviewer=reviewer, expires_at=expires_at
    )


def in_status(status: str, *, applicant, dataset, reviewer, reason: str = "Unit missing.") -> LicenseRequest:
    """A request brought to `status` along the shortest path the workflow allows, every step a service."""
    Status = LicenseRequest.Status
    if status == Status.DRAFT:
        return services.application_save(
            applicant=applicant, dataset=dataset, request=None, fields=application(), submit=False,
            ip=None, user_agent="journeys",
        )
    if status == Status.AWAITING_SIGNATURE:
        return submitted(applicant=applicant, dataset=dataset)
    request = under_review(applicant=applicant, dataset=dataset)
    if status == Status.UNDER_REVIEW:
        return request
    if status == Status.RETURNED:
        return returned(request, reviewer=reviewer, reason=reason)
    if status == Status.REJECTED:
        return services.request_reject(request=request, reviewer=reviewer, reason=reason)
    if status == Status.WITHDRAWN:
        return services.request_withdraw(request=request, user=applicant)
    expires_at = clock.now() + datetime.timedelta(days=1) if status == Status.EXPIRED else None
    request = services.request_approve(request=request, reviewer=reviewer, expires_at=expires_at)
    if status == Status.REVOKED:
        return services.request_revoke(request=request, reviewer=reviewer, reason=reason)
    if status == Status.EXPIRED:
        return services.request_expire(request=request, now=expires_at)
    return request
