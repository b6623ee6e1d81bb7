"""Keeping a checked upload: the SignedCopy row and its files, or neither.

Called inside the service's transaction: if anything fails, the rows roll back with it and the
files already written to storage are deleted, so no file outlives its record.
"""

from django.core.files.base import ContentFile

from .. import clock
from ..models import SignedCopy, SignedCopyFile
from .signed_copies import CheckedUpload


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
    stored = []
    try:
        for position, part in enumerate(checked.parts, 1):
            copy_file = SignedCopyFile(
                signed_copy=copy,
                position=position,
                original_name=part.original_name,
                content_type=part.content_type,
                size=len(part.data),
                sha256=part.sha256,
            )
            copy_file.file.save(f"upload{part.extension}", ContentFile(part.data), save=False)
            stored.append(copy_file.file)
            copy_file.save()
    except BaseException:
        # The rows roll back with the transaction; the files on disk must go with them.
        for stored_file in stored:
            stored_file.delete(save=False)
        raise
    return copy
