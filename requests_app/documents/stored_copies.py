"""Keeping a checked upload: the SignedCopy row and its files, or neither.

Called inside the service's transaction: if anything fails, the rows roll back with it and the
files already written to storage are deleted, so no file outlives its record.
"""

from collections.abc import Callable, Iterable

from django.core.files.base import ContentFile

from .. import clock
from ..models import QuarantinedFile, SignedCopy, SignedCopyFile
from .signed_copies import CheckedUpload, UploadedPart


def signed_copy_store(*, request, user, checked: CheckedUpload, countersigned: bool = False) -> SignedCopy:
    copy = SignedCopy.objects.create(
        request=request,
        issued_agreement=checked.issued,
        uploaded_by=user,
        uploaded_at=clock.now(),
        kind=checked.kind,
        page_results=checked.page_results,
        summary=checked.summary,
        countersigned=countersigned,
    )
    parts_store(
        checked.parts,
        lambda position, part: SignedCopyFile(
            signed_copy=copy,
            position=position,
            original_name=part.original_name,
            content_type=part.content_type,
            size=len(part.data),
            sha256=part.sha256,
        ),
    )
    return copy


def parts_store(
    parts: Iterable[UploadedPart], row_for: Callable[[int, UploadedPart], QuarantinedFile | SignedCopyFile]
) -> None:
    """Save each part's bytes to storage and its row: `row_for(position, part)`, unsaved, with a `file`.

    Inside the caller's transaction. If anything fails, the files already written are deleted before
    the error goes on: the rows roll back with the transaction, and the files must go with them.
    """
    stored = []
    try:
        for position, part in enumerate(parts, 1):
            row = row_for(position, part)
            row.file.save(f"upload{part.extension}", ContentFile(part.data), save=False)
            stored.append(row.file)
            row.save()
    except BaseException:
        for stored_file in stored:
            stored_file.delete(save=False)
        raise
