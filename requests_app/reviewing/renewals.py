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
from django.db import IntegrityError, transaction

from .. import clock, workflow
from ..agreement_format import formfields
from ..models import LicenseRequest, Notification, Renewal
from ..notifications import notification_claim
from ..workflow import TransitionNotAllowed

RENEWAL_OPENS_DAYS = settings.RENEWAL_OPENS_DAYS


def renewal_open(licence: LicenseRequest, *, now: datetime.datetime) -> bool:
    """Whether `licence` (active) may be renewed at `now`: it has an expiry, and it is near."""
    return (
        licence.status == LicenseRequest.Status.APPROVED and licence.expires_at is not None
        and now < licence.expires_at <= now + datetime.timedelta(days=RENEWAL_OPENS_DAYS)
    )


def pending_renewal(licence: LicenseRequest) -> Renewal | None:
    return licence.renewals.filter(granted_at__isnull=True).first()


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
    """The licensee asks to renew, with their details as they should stand (changes shown to the reviewer)."""
    now = clock.now()
    if not renewal_open(request, now=now):
        raise TransitionNotAllowed(
            f"{request.reference} can be renewed from {RENEWAL_OPENS_DAYS} days before it expires, while it is active."
        )
    names = renewable_fields(request)
    # Compared with what is stored: a bound form may have written the proposal onto `request` already.
    stored = LicenseRequest.objects.get(pk=request.pk)
    current = {name: formfields.to_stored(stored.value(name)) for name in names}
    given = fields.get("values", fields)  # a form's request_fields(): every field is in its `values`
    proposed = {name: formfields.to_stored(given.get(name, current[name])) for name in names}
    changed = [name for name in names if proposed[name] != current[name]]
    labels = {spec["name"]: spec["label"] for spec in request.application_fields()}
    workflow.perform(
        workflow.RENEWAL_SUBMIT, request=request, actor=user, ip=ip, now=now,
        note="Renewal requested" + (f"; changed: {', '.join(labels[n] for n in changed)}." if changed else ", nothing changed."),
    )
    try:
        with transaction.atomic():
            renewal = Renewal.objects.create(
                request=request, requested_by=user, requested_at=now,
                fields=proposed,
                changed=changed,
            )
    except IntegrityError:
        raise TransitionNotAllowed(f"A renewal of {request.reference} is already waiting for a reviewer.") from None
    if not changed and request.dataset.renewal_fast_path:
        licence_extend_unchanged(request=request, renewal=renewal)
    return renewal


@transaction.atomic
def licence_extend_unchanged(*, request: LicenseRequest, renewal: Renewal) -> LicenseRequest:
    """The owner's fast path: a renewal that changes nothing is granted by the portal, at once."""
    if renewal.changed:
        raise TransitionNotAllowed("A renewal that changes the licence's details needs a reviewer.")
    return _extend(workflow.EXTEND_UNCHANGED, request=request, actor=None, until=next_expiry(request),
                   renewal=renewal, note="Renewed at once: nothing changed.")


@transaction.atomic
def licence_extend(
    *, request: LicenseRequest, reviewer, until: datetime.datetime | None = None, ip: str | None = None,
) -> LicenseRequest:
    """Extend the licence to `until` (default: one more licence duration), granting any open renewal."""
    until = until or next_expiry(request)
    if until is None:
        raise TransitionNotAllowed(f"{request.reference} does not expire: there is nothing to extend.")
    if request.expires_at is not None and until <= request.expires_at:
        raise TransitionNotAllowed(f"Choose a date after the current expiry, {request.expires_at:%d %b %Y}.")
    renewal = pending_renewal(request)
    return _extend(workflow.EXTEND, request=request, actor=reviewer, until=until, renewal=renewal, ip=ip,
                   note=f"Licence extended until {until:%d %b %Y}" + (" (renewal granted)." if renewal else "."))


def _extend(transition, *, request, actor, until, renewal, note, ip=None):
    now = clock.now()
    changes = {}
    if renewal is not None:
        changes = {name: _typed(name, renewal.fields[name]) for name in renewal.changed if _is_column(name)}
        if renewal.changed:
            changes["values"] = {**request.values, **{name: renewal.fields[name] for name in renewal.changed}}
        granted = Renewal.objects.filter(pk=renewal.pk, granted_at__isnull=True).update(granted_at=now, granted_until=until)
        if not granted:
            raise TransitionNotAllowed(f"The renewal of {request.reference} was granted meanwhile.")
    workflow.perform(transition, request=request, actor=actor, note=note, ip=ip, now=now, expires_at=until, **changes)
    notification_claim(kind=Notification.Kind.LICENCE_EXTENDED, request=request, period=f"until-{until:%Y-%m-%dT%H:%M}", now=now)
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
    return field.to_python(value or None) if field.null else field.to_python(value)


def renewal_changes(licence: LicenseRequest, renewal: Renewal) -> list[tuple[str, object, object]]:
    """(label, now, proposed) for each field the renewal changes, for the reviewer."""
    labels = {spec["name"]: spec["label"] for spec in licence.application_fields()}
    return [(labels[name], licence.value(name), renewal.fields[name]) for name in renewal.changed]
