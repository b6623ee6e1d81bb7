"""Requests brought to a state the way people bring them there: through the services.

Each step is what the applicant or reviewer does; a test that needs a request under review gets
one that was submitted, issued its agreement and sent a signed copy, with every event on record.
"""

from requests_app import services
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


def submitted(*, applicant, dataset, **fields) -> LicenseRequest:
    """Applied, every clause accepted: the agreement is issued and awaits the signed copy."""
    return services.application_save(
        applicant=applicant, dataset=dataset, request=None, fields={**APPLICATION, **fields}, submit=True,
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
