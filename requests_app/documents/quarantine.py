"""Signed copies checked off the request thread: quarantine, a limited child process, the outcome.

The web process only reads and types the upload (signed_copies.read_upload) and stores it in
quarantine with an UploadCheck (signed_copy_quarantine). A Celery task then checks it
(upload_check_run) in a forked child under hard limits (sandbox.run_limited), and ends the check
one way or the other: accepted, services.signed_copy_record stores it as the SignedCopy and moves
the request to review (the owner's countersigned copy, `UploadCheck.countersigned`: the
countersignature service records it instead); refused, the quarantined files are deleted with
their rows. Either way the UploadCheck keeps the outcome in words for the uploader's page, which
polls it. A refusal is written in the language of the page the upload came from, which the task
carries (the worker has no request to take one from); without it, in the uploader's remembered
language, as their emails are. The accepted summary stays English, retold at display (check_text).
"""

import datetime
import logging

import cv2
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .. import clock
from ..i18n.selectors import language_of, supported_language
from ..models import IssuedAgreement, LicenseRequest
from .models import QuarantinedFile, UploadCheck
from .sandbox import LimitExceeded, run_limited
from .scan_compare import REFERENCE_PAGES
from .signed_copies import CheckedUpload, UploadedPart, UploadRefused, check_parts
from .stored_copies import parts_store

logger = logging.getLogger(__name__)


@transaction.atomic
def signed_copy_quarantine(
    *,
    request: LicenseRequest,
    issued: IssuedAgreement,
    user,
    parts: list[UploadedPart],
    ip: str | None = None,
    countersigned: bool = False,
) -> UploadCheck:
    """Store an upload for its check. The caller enqueues the check once this transaction committed.

    `countersigned`: the owner's countersigned copy, uploaded by a reviewer (`user`).
    """
    check = UploadCheck.objects.create(
        request=request,
        issued_agreement=issued,
        uploaded_by=user,
        uploaded_at=clock.now(),
        ip=ip,
        countersigned=countersigned,
    )
    parts_store(
        parts,
        lambda position, part: QuarantinedFile(
            check_run=check, position=position, original_name=part.original_name, content_type=part.content_type
        ),
    )
    return check


def upload_check_enqueue(check: UploadCheck) -> None:
    """Queue the check, to tell its outcome in the language the uploader is reading now."""
    from ..tasks import signed_copy_check  # the task module imports this one

    signed_copy_check.delay(check.pk, translation.get_language())


def upload_check_run(*, check_id: int, language: str | None = None) -> str | None:
    """Check a quarantined upload and end its check; the state it ended in, None if not this run's.

    Safe to run twice: a check is claimed by a conditional update, and one taken by a worker that
    died is claimed again once it has been running longer than any check may.
    """
    now = clock.now()
    stale = now - datetime.timedelta(seconds=_wall_seconds() * 2)
    claimed = (
        UploadCheck.objects.filter(pk=check_id, state=UploadCheck.State.CHECKING)
        .filter(_started_never_or_before(stale))
        .update(started_at=now)
    )
    if not claimed:
        return None
    check = UploadCheck.objects.select_related("request", "uploaded_by", "issued_agreement__request").get(pk=check_id)
    with translation.override(
        supported_language(language=language) if language else language_of(user=check.uploaded_by)
    ):
        return _check_and_end(check)


def _check_and_end(check: UploadCheck) -> str:
    files = list(check.files.all())
    parts = []
    for quarantined in files:
        with quarantined.file.open("rb") as stored:
            parts.append(
                UploadedPart(
                    original_name=quarantined.original_name, content_type=quarantined.content_type, data=stored.read()
                )
            )
    issued = check.issued_agreement
    try:
        checked = _check_in_child(parts, issued, check.countersigned)
    except UploadRefused as refusal:
        return _end(check, files, UploadCheck.State.REFUSED, str(refusal))
    from ..reviewing.countersignature import (
        countersigned_copy_record,  # services imports the signed-copy checks; this module is below it
    )
    from ..workflow import TransitionNotAllowed  # services imports the signed-copy checks; this module is below it
    from .services import signed_copy_record  # services imports the signed-copy checks; this module is below it

    try:
        with transaction.atomic():  # the copy reaches review and the check ends, or neither
            if check.countersigned:
                copy = countersigned_copy_record(
                    request=check.request, reviewer=check.uploaded_by, checked=checked, ip=check.ip
                )
            else:
                copy = signed_copy_record(request=check.request, user=check.uploaded_by, checked=checked, ip=check.ip)
            _finish(check, UploadCheck.State.ACCEPTED, copy.summary, signed_copy=copy)
    except TransitionNotAllowed as error:
        return _end(check, files, UploadCheck.State.REFUSED, str(error))
    _delete(files)
    return UploadCheck.State.ACCEPTED


def _started_never_or_before(moment):
    from django.db.models import Q

    return Q(started_at__isnull=True) | Q(started_at__lt=moment)


def _wall_seconds() -> float:
    return settings.SIGNED_COPY_CHECK_SECONDS + 10


def _check_in_child(parts: list[UploadedPart], issued: IssuedAgreement, countersigned: bool) -> CheckedUpload:
    # One check, one core: and OpenCV's thread pool, reconfigured in a forked child, deadlocks.
    cv2.setNumThreads(1)
    # The issued pages are rendered here, from trusted bytes, and kept: the child inherits them.
    REFERENCE_PAGES.pages(bytes(issued.pdf), issued.sha256)
    try:
        kind, page_results, summary = run_limited(
            _check,
            parts,
            issued,
            countersigned,
            seconds=_wall_seconds(),
            memory_bytes=settings.SIGNED_COPY_CHECK_MEMORY_BYTES,
            cpu_seconds=settings.SIGNED_COPY_CHECK_CPU_SECONDS,
        )
    except LimitExceeded as error:
        logger.warning("Signed copy check for %s stopped: %s", issued.request.reference, error)
        raise UploadRefused(
            _("This file could not be checked within the limits (time and memory). Upload a smaller or simpler scan.")
        ) from None
    return CheckedUpload(issued=issued, parts=parts, kind=kind, page_results=page_results, summary=summary)


def _check(parts: list[UploadedPart], issued: IssuedAgreement, countersigned: bool) -> tuple[str, list, str]:
    """In the child: what the parent needs of the result, nothing of the input sent back."""
    checked = check_parts(parts, issued=issued, countersigned=countersigned)
    return str(checked.kind), checked.page_results, checked.summary


def _end(check: UploadCheck, files: list[QuarantinedFile], state: str, message: str) -> str:
    with transaction.atomic():
        _finish(check, state, message)
    _delete(files)
    return state


def _finish(check: UploadCheck, state: str, message: str, signed_copy=None) -> None:
    UploadCheck.objects.filter(pk=check.pk).update(
        state=state, message=message, finished_at=clock.now(), signed_copy=signed_copy
    )
    QuarantinedFile.objects.filter(check_run=check).delete()


def _delete(files: list[QuarantinedFile]) -> None:
    """The quarantined bytes, once no row names them (a crash between leaves a file, never a row)."""
    for quarantined in files:
        quarantined.file.storage.delete(quarantined.file.name)
