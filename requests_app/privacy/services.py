"""Removing personal data, and recording who looked at a signed copy."""

import datetime

from django.db import transaction

from .. import clock
from ..agreement_format.formfields import stored_values
from ..agreement_format.spec import APPLICANT_COLUMNS, ORGANISATION_WEBSITE_KEY
from .models import SignedCopyView

REMOVED = "[removed]"

# The organisation and unit stay: they name institutions, not people, and the statistics count them.
INSTITUTION_COLUMNS = frozenset({"organisation", "unit"})
# The request's personal text: who signs, where, how to reach them, why, and what reviewers wrote
# about it. The signing date is a date, cleared on its own.
PERSONAL_TEXT_FIELDS = (
    *(name for name in APPLICANT_COLUMNS if name not in INSTITUTION_COLUMNS and name != "signing_date"),
    "decision_reason",
)
# Of the form's values (keyed by the agreement's field names, any agreement's), these name institutions.
KEPT_VALUES = frozenset({*INSTITUTION_COLUMNS, "organisation_romanised", ORGANISATION_WEBSITE_KEY})


def _removed_values(values: dict) -> dict:
    """Every typed value but the institution's replaced; ticks and empty values say nothing about a person."""
    return {
        name: value if name in KEPT_VALUES or value in ("", None) or isinstance(value, bool) else REMOVED
        for name, value in values.items()
    }


@transaction.atomic
def personal_data_remove(*, request, now: datetime.datetime | None = None) -> bool:
    """Replace `request`'s personal data with "[removed]" and delete its signed copies and issued PDFs' bytes.

    Claimed by a conditional update on `personal_data_removed_at`, so two sweeps remove once. The
    reference, dataset, dates, statuses, checks' results and the events stay. Returns whether it removed.
    """
    from ..models import (
        ClauseAcceptance,
        DeliveryView,
        IssuedAgreement,
        LicenseRequest,
        Renewal,
        RepresentativeConfirmation,
        ReviewerRemark,
        SignedCopy,
        SignedCopyFile,
    )

    now = now or clock.now()
    values = LicenseRequest.objects.filter(pk=request.pk).values(*PERSONAL_TEXT_FIELDS, "values").get()
    typed = values.pop("values") or {}
    claimed = LicenseRequest.objects.filter(pk=request.pk, personal_data_removed_at__isnull=True).update(
        personal_data_removed_at=now,
        signing_date=None,
        **stored_values(version=request.agreement_version, values=_removed_values(typed)),
        **{field: REMOVED for field, value in values.items() if value},
    )
    if not claimed:
        return False
    ClauseAcceptance.objects.filter(request=request).update(ip=None, user_agent="")
    DeliveryView.objects.filter(request=request).update(ip=None)
    ReviewerRemark.objects.filter(request=request).update(text=REMOVED)
    # A renewal holds the details as the licensee proposed them, and maybe a reviewer's reason about them.
    for renewal in Renewal.objects.filter(request=request):
        renewal.fields = _removed_values(renewal.fields or {})
        renewal.refusal_reason = REMOVED if renewal.refusal_reason else ""
        renewal.save(update_fields=["fields", "refusal_reason"])
    RepresentativeConfirmation.objects.filter(request=request).update(email=REMOVED, ip=None, user_agent="")
    # The issued documents were filled in with the personal fields; their fingerprints still verify.
    issued = list(IssuedAgreement.objects.filter(request=request).exclude(file=""))
    IssuedAgreement.objects.filter(pk__in=[i.pk for i in issued]).update(file="")
    SignedCopy.objects.filter(request=request).update(summary=REMOVED, page_results=[])
    files = list(SignedCopyFile.objects.filter(signed_copy__request=request))
    SignedCopyFile.objects.filter(pk__in=[f.pk for f in files]).delete()
    stored: list[SignedCopyFile | IssuedAgreement] = [*files, *issued]
    names = [(f.file.storage, f.file.name) for f in stored if f.file.name]

    def delete_files() -> None:
        for storage, name in names:
            storage.delete(name)

    # Files go once the rows are gone for good: a rollback must not leave rows pointing at nothing.
    transaction.on_commit(delete_files)
    return True


@transaction.atomic
def signed_copy_view_record(*, copy_file, viewer, ip: str | None, inline: bool) -> SignedCopyView:
    return SignedCopyView.objects.create(
        file=copy_file, request_id=copy_file.signed_copy.request_id, viewer=viewer, at=clock.now(), ip=ip, inline=inline
    )


@transaction.atomic
def account_delete(*, user) -> list:
    """Close `user`'s account: open requests withdrawn, personal data removed from every request that is
    not a licence still in force, the account anonymised and locked. Returns the licences kept as records.

    A licence in force keeps its record (the signed agreement binds until it ends); the retention sweep
    removes it PERSONAL_DATA_RETENTION_DAYS after it ended. The user row stays, anonymised: the history
    names it as the actor of its own events.
    """
    from allauth.account.models import EmailAddress

    from ..applications.services import request_withdraw
    from ..i18n.models import LanguagePreference
    from ..models import LicenseRequest
    from ..workflow import WITHDRAW, Status

    kept = []
    for request in LicenseRequest.objects.filter(applicant=user).select_related("dataset"):
        if WITHDRAW.allows(request.status):
            request_withdraw(request=request, user=user)
        if request.status == Status.APPROVED:
            kept.append(request)
        else:
            personal_data_remove(request=request)
    EmailAddress.objects.filter(user=user).delete()
    LanguagePreference.objects.filter(user=user).delete()
    user.email = f"deleted-user-{user.pk}@invalid"
    user.username = f"deleted-user-{user.pk}"
    user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    return kept
