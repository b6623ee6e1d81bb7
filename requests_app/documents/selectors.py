"""Reads of issued agreements and signed copies. Return objects or raise DoesNotExist; write nothing."""

from dataclasses import dataclass

from django.db.models import (
    QuerySet,
)

from ..applications.selectors import request_for_participant
from ..models import Dataset, IssuedAgreement, LicenseRequest, SignedCopy, SignedCopyFile, UploadCheck


def latest_issued_agreement(*, request: LicenseRequest) -> IssuedAgreement | None:
    """The latest issue; its bytes are read from the storage only when asked for (`pdf`)."""
    return request.issued_agreements.order_by("-issue").first()


def signed_copies_of(*, request: LicenseRequest) -> QuerySet[SignedCopy]:
    """Every upload for the request (signed and countersigned copies), newest first, with its files and
    the issue it was checked against."""
    return (
        request.signed_copies.select_related("issued_agreement", "uploaded_by")
        .prefetch_related("files")
        .order_by("-uploaded_at", "-pk")
    )


@dataclass(frozen=True)
class AgreementDocuments:
    """The latest issued agreement, every signed copy and every countersigned copy, newest first."""

    issued: IssuedAgreement | None
    signed_copies: list[SignedCopy]
    countersigned_copies: list[SignedCopy]


def agreement_documents(*, request: LicenseRequest) -> AgreementDocuments:
    copies = list(signed_copies_of(request=request))
    return AgreementDocuments(
        issued=latest_issued_agreement(request=request),
        signed_copies=[copy for copy in copies if not copy.countersigned],
        countersigned_copies=[copy for copy in copies if copy.countersigned],
    )


def latest_upload_check(*, request: LicenseRequest, countersigned: bool = False):
    """The request's latest upload check of the signed copy (or of the countersigned copy), or None."""
    return request.upload_checks.filter(countersigned=countersigned).order_by("-uploaded_at", "-pk").first()


def upload_check_for_applicant(*, user, reference: str, check_id: int):
    """One of the applicant's own upload checks; DoesNotExist for anyone else's. One query: it is polled."""
    return UploadCheck.objects.get(
        pk=check_id, request__reference=reference, request__applicant=user, countersigned=False
    )


def countersign_check_for_reviewer(*, datasets: list[Dataset], reference: str, check_id: int):
    """A countersigned copy's check, for a reviewer of its dataset; DoesNotExist otherwise. One query: it is polled."""
    return UploadCheck.objects.get(
        pk=check_id, request__reference=reference, request__dataset__in=datasets, countersigned=True
    )


def signed_copy_file_for_participant(*, user, reference: str, file_id: int) -> SignedCopyFile:
    request = request_for_participant(user=user, reference=reference)
    return SignedCopyFile.objects.get(pk=file_id, signed_copy__request=request)


def issued_agreement_numbered(*, request: LicenseRequest, issue: int) -> IssuedAgreement | None:
    """Issue number `issue` of the request's agreement, if there is one."""
    return request.issued_agreements.filter(issue=issue).first()


def request_for_verification(*, token: str) -> LicenseRequest:
    return LicenseRequest.objects.select_related("dataset").exclude(status=LicenseRequest.Status.DRAFT).get(token=token)
