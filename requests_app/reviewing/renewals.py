"""Renewals: a licence nearing its end extended under the same reference, with a new period.

The licensee starts from the licence's own details and may change them; a reviewer sees what
changed and extends the licence (or, where the owner allows it, the portal does at once when
nothing changed). Every extension is one workflow move (workflow.EXTEND or EXTEND_UNCHANGED) that
writes the new expiry and the accepted details with its RequestEvent; the expiry notices, keyed by
the expiry date, then start again for the new date.
"""

import datetime

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import clock, workflow
from ..access.conflicts import conflict_of_interest
from ..agreement_format import formfields, localised
from ..i18n import dates
from ..models import LicenseRequest, Notification, Renewal
from ..notifications.services import notification_claim
from ..workflow import DecisionInvalid, TransitionNotAllowed

RENEWAL_OPENS_DAYS = settings.RENEWAL_OPENS_DAYS

# The history's notes, stored in English and shown in the reader's language (templatetags/event_notes).
NOTE_REQUESTED_CHANGED = gettext_noop("Renewal requested; changed: %(fields)s.")
NOTE_REQUESTED_UNCHANGED = gettext_noop("Renewal requested, nothing changed.")
NOTE_RENEWED_AT_ONCE = gettext_noop("Renewal requested with nothing changed: renewed at once until %(date)s.")
NOTE_EXTENDED = gettext_noop("Licence extended until %(date)s.")
NOTE_EXTENDED_RENEWAL = gettext_noop("Licence extended until %(date)s (renewal granted).")
NOTE_REFUSED = gettext_noop("Renewal refused: %(reason)s")


def note_date(moment: datetime.datetime) -> str:
    """A date in a stored note: ISO 8601, which reads the same in every language and is re-shown localised."""
    return clock.local_date(moment).isoformat()


def renewal_open(licence: LicenseRequest, *, now: datetime.datetime) -> bool:
    """Whether `licence` (active) may be renewed at `now`: it has an expiry, and it is near."""
    return (
        licence.status == LicenseRequest.Status.APPROVED
        and licence.expires_at is not None
        and now < licence.expires_at <= now + datetime.timedelta(days=RENEWAL_OPENS_DAYS)
    )


def pending_renewal(licence: LicenseRequest) -> Renewal | None:
    return licence.renewals.filter(granted_at__isnull=True, refused_at__isnull=True).first()


def next_expiry(licence: LicenseRequest) -> datetime.datetime | None:
    """The new period runs the dataset's licence duration on from the current expiry.

    None for a licence that does not expire, or a dataset whose licences do not.
    """
    days = licence.dataset.licence_duration_days
    if days is None or licence.expires_at is None:
        return None
    return max(licence.expires_at or clock.now(), clock.now()) + datetime.timedelta(days=days)


def renewable_fields(licence: LicenseRequest) -> list[str]:
    """What a renewal may change: the application's fields, except the date the agreement was signed
    (a renewal extends that agreement; it is not signed again)."""
    return [spec["name"] for spec in licence.application_fields() if spec["name"] != "signing_date"]


@transaction.atomic
def renewal_submit(*, request: LicenseRequest, user, fields: dict, ip: str | None = None) -> Renewal:
    """The licensee asks to renew, with their details as they should stand (changes shown to the reviewer).

    Where the owner allows it and nothing changed, the portal grants it at once: then the one event
    is the extension (no reviewer is told of work that is already done).
    """
    now = clock.now()
    if not renewal_open(request, now=now):
        raise TransitionNotAllowed(
            _("%(reference)s can be renewed from %(days)s days before it expires, while it is active.")
            % {"reference": request.reference, "days": RENEWAL_OPENS_DAYS}
        )
    names = renewable_fields(request)
    # Compared with what is stored: a bound form may have written the proposal onto `request` already.
    stored = LicenseRequest.objects.get(pk=request.pk)
    current = {name: formfields.to_stored(stored.value(name)) for name in names}
    given = fields.get("values", fields)  # a form's request_fields(): every field is in its `values`
    typed = {name: formfields.to_stored(given.get(name, current[name])) for name in names}
    # Checked as a submitted application is (raises ValuesInvalid before anything is written), and
    # compared in the spelling stored: a number retyped in another format is not a change.
    cleaned = formfields.clean_values(
        version=request.agreement_version, values={**stored.values, **typed}, complete=True
    )
    proposed = {name: cleaned[name] for name in names}
    changed = [name for name in names if proposed[name] != current[name]]
    try:
        with transaction.atomic():
            renewal = Renewal.objects.create(
                request=request,
                requested_by=user,
                requested_at=now,
                fields=proposed,
                changed=changed,
            )
    except IntegrityError:
        raise TransitionNotAllowed(
            _("A renewal of %(reference)s is already waiting for a reviewer.") % {"reference": request.reference}
        ) from None
    if not changed and request.dataset.renewal_fast_path:
        licence_extend_unchanged(request=request, renewal=renewal, ip=ip)
        return renewal
    labels = {spec["name"]: spec["label"] for spec in request.application_fields()}
    note = (
        NOTE_REQUESTED_CHANGED % {"fields": ", ".join(labels[n] for n in changed)}
        if changed
        else NOTE_REQUESTED_UNCHANGED
    )
    workflow.perform(workflow.RENEWAL_SUBMIT, request=request, actor=user, ip=ip, now=now, note=note)
    return renewal


def _nothing_to_extend(request: LicenseRequest) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("%(reference)s does not expire: there is nothing to extend.") % {"reference": request.reference}
    )


@transaction.atomic
def licence_extend_unchanged(*, request: LicenseRequest, renewal: Renewal, ip: str | None = None) -> LicenseRequest:
    """The owner's fast path: a renewal that changes nothing is granted by the portal, at once."""
    if renewal.changed:
        raise TransitionNotAllowed(_("A renewal that changes the licence's details needs a reviewer."))
    until = next_expiry(request)
    if until is None:  # the dataset's licences stopped expiring since the renewal opened
        raise _nothing_to_extend(request)
    return _extend(
        workflow.EXTEND_UNCHANGED,
        request=request,
        actor=None,
        until=until,
        renewal=renewal,
        ip=ip,
        note=NOTE_RENEWED_AT_ONCE % {"date": note_date(until)},
    )


@transaction.atomic
def licence_extend(
    *,
    request: LicenseRequest,
    reviewer,
    until: datetime.datetime | None = None,
    ip: str | None = None,
) -> LicenseRequest:
    """Extend the licence to `until` (default: one more licence duration), granting any open renewal."""
    until = until or next_expiry(request)
    if until is None:
        raise _nothing_to_extend(request)
    if request.expires_at is not None and until <= request.expires_at:
        raise TransitionNotAllowed(
            _("Choose a date after the current expiry, %(date)s.") % {"date": dates.day(request.expires_at)}
        )
    renewal = pending_renewal(request)
    note = NOTE_EXTENDED_RENEWAL if renewal else NOTE_EXTENDED
    return _extend(
        workflow.EXTEND,
        request=request,
        actor=reviewer,
        until=until,
        renewal=renewal,
        ip=ip,
        note=note % {"date": note_date(until)},
    )


@transaction.atomic
def renewal_refuse(*, request: LicenseRequest, reviewer, reason: str, ip: str | None = None) -> Renewal:
    """Refuse the open renewal, with the reason the licensee is emailed; the licence runs on to its expiry."""
    reason = (reason or "").strip()
    if not reason:
        raise DecisionInvalid(_("Write the reason for refusing the renewal: the licensee reads it."))
    if conflict := conflict_of_interest(request=request, user=reviewer):
        raise TransitionNotAllowed(conflict)
    renewal = pending_renewal(request)
    now = clock.now()
    if renewal is None or not Renewal.objects.filter(
        pk=renewal.pk, granted_at__isnull=True, refused_at__isnull=True
    ).update(refused_at=now, refused_by=reviewer, refusal_reason=reason):
        raise TransitionNotAllowed(
            _("%(reference)s has no renewal waiting for a decision.") % {"reference": request.reference}
        )
    workflow.perform(
        workflow.RENEWAL_REFUSE, request=request, actor=reviewer, ip=ip, now=now, note=NOTE_REFUSED % {"reason": reason}
    )
    notification_claim(kind=Notification.Kind.RENEWAL_REFUSED, request=request, period=f"renewal-{renewal.pk}", now=now)
    renewal.refused_at, renewal.refused_by, renewal.refusal_reason = now, reviewer, reason
    return renewal


def latest_renewal(licence: LicenseRequest) -> Renewal | None:
    """The licence's latest renewal: the open one when there is one (one_open_renewal allows no other
    to be asked for while one is open), else the last decided."""
    return licence.renewals.order_by("-requested_at", "-pk").first()


def open_and_refused(licence: LicenseRequest) -> tuple[Renewal | None, Renewal | None]:
    """From one read: the licence's open renewal (pending_renewal), and the latest renewal a reviewer
    refused if no renewal was asked for since (last_refusal)."""
    latest = latest_renewal(licence)
    if latest is None:
        return None, None
    if latest.granted_at is None and latest.refused_at is None:
        return latest, None
    return None, (latest if latest.refused_at is not None else None)


def last_refusal(licence: LicenseRequest) -> Renewal | None:
    """The latest renewal a reviewer refused, if no renewal was asked for since."""
    return open_and_refused(licence)[1]


def _extend(transition, *, request, actor, until, renewal, note, ip=None):
    now = clock.now()
    changes = {}
    if renewal is not None:
        changes = {name: _typed(name, renewal.fields[name]) for name in renewal.changed if _is_column(name)}
        if renewal.changed:
            values = {**request.values, **{name: renewal.fields[name] for name in renewal.changed}}
            changes.update(formfields.stored_values(version=request.agreement_version, values=values))
        granted = Renewal.objects.filter(pk=renewal.pk, granted_at__isnull=True, refused_at__isnull=True).update(
            granted_at=now, granted_until=until
        )
        if not granted:
            raise TransitionNotAllowed(
                _("The renewal of %(reference)s was decided meanwhile.") % {"reference": request.reference}
            )
    workflow.perform(transition, request=request, actor=actor, note=note, ip=ip, now=now, expires_at=until, **changes)
    notification_claim(
        kind=Notification.Kind.LICENCE_EXTENDED, request=request, period=f"until-{until:%Y-%m-%dT%H:%M}", now=now
    )
    return request


def _is_column(name: str) -> bool:
    """Whether `name` also has a column of its own (the well-known fields are mirrored there)."""
    try:
        LicenseRequest._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return name != "values"


def _typed(name, value):
    field = LicenseRequest._meta.get_field(name)
    assert isinstance(field, models.Field)  # _is_column chose it: a column, not a relation's reverse
    return field.to_python(value or None) if field.null else field.to_python(value)


def renewal_changes(licence: LicenseRequest, renewal: Renewal) -> list[tuple[str, object, object]]:
    """(label, now, proposed) for each field the renewal changes, for the reviewer, labelled in their language."""
    labels = dict(localised.value_names(licence.agreement_version))
    return [(labels[name], licence.value(name), renewal.fields[name]) for name in renewal.changed]
