"""The owner's countersignature: after approval, a reviewer uploads the copy the owner signed.

Where the issued agreement carries the owner's signature block (`[agreement.countersignature]` in
the dataset file), an approved licence becomes an executed agreement once a reviewer uploads the
countersigned copy: checked like the licensee's signed copy (`signed_copies.check_upload` with
`countersigned=True`), stored like it, recorded by workflow.COUNTERSIGN (approved to approved, one
event), and the licensee is emailed that they can download it. A later upload becomes the current
one; earlier ones stay in the history.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import clock, workflow
from ..access.conflicts import conflict_of_interest
from ..documents.signed_copies import CheckedUpload
from ..documents.stored_copies import signed_copy_store
from ..models import IssuedAgreement, LicenseRequest, Notification, SignedCopy
from ..notifications.services import notification_claim
from ..workflow import TransitionNotAllowed

# The history's notes, stored in English and shown in the reader's language (templatetags/event_notes).
NOTE_UPLOADED = gettext_noop("Countersigned copy uploaded: %(summary)s.")
NOTE_REPLACED = gettext_noop("Countersigned copy replaced: %(summary)s.")


def asks_countersignature(issued: IssuedAgreement | None) -> bool:
    """Whether the owner signs this issued agreement too: its PDF has the owner's signature block."""
    return issued is not None and any(area["kind"] == "countersignature" for area in issued.areas)


@transaction.atomic
def countersigned_copy_record(
    *, request: LicenseRequest, reviewer, checked: CheckedUpload, ip: str | None = None
) -> SignedCopy:
    """Store the owner's countersigned copy of an approved licence and tell the licensee."""
    if conflict := conflict_of_interest(request=request, user=reviewer):
        raise TransitionNotAllowed(conflict)
    latest = request.issued_agreements.order_by("-issue").values_list("pk", flat=True).first()
    if latest != checked.issued.pk:
        raise TransitionNotAllowed(_("A new agreement was issued meanwhile: countersign that one."))
    if not asks_countersignature(checked.issued):
        raise TransitionNotAllowed(
            _("The agreement of %(reference)s has no block for the owner's countersignature.")
            % {"reference": request.reference}
        )
    replacing = request.signed_copies.filter(countersigned=True).exists()
    workflow.perform(
        workflow.COUNTERSIGN,
        request=request,
        actor=reviewer,
        ip=ip,
        note=(NOTE_REPLACED if replacing else NOTE_UPLOADED) % {"summary": checked.summary},
    )
    copy = signed_copy_store(request=request, user=reviewer, checked=checked, countersigned=True)
    notification_claim(
        kind=Notification.Kind.EXECUTED_AGREEMENT, request=request, period=f"copy-{copy.pk}", now=clock.now()
    )
    return copy
