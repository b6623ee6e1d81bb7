"""One function per email. Each renders emails/<name>_subject.txt, _body.txt and _body.html."""

import functools

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ..agreement_format import localised
from ..applications.selectors import returned_field_labels
from ..i18n.selectors import language_of


def _send(name: str, *, to: list[str], context: dict, recipient=None) -> None:
    """Render and send; in `recipient`'s language (the site's default when unknown), whoever triggered it."""
    with translation.override(language_of(user=recipient)):
        _render_and_send(name, to=to, context=context)


def _render_and_send(name: str, *, to: list[str], context: dict) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    # Subjects are one line whatever the context holds: a newline would inject a header.
    # Every portal email carries the prefix allauth puts on its own, so one mail filter catches them all.
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(
        render_to_string(f"emails/{name}_subject.txt", context).split()
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{name}_body.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"emails/{name}_body.html", context), "text/html")
    message.send()


# --- Reminders ------------------------------------------------------------------------------------


def _licence_context(request) -> dict:
    """What every licensee reminder shows: their licence, its terms and citation, and where to act."""
    return {
        "request": request,
        "dataset": request.dataset,
        "request_url": settings.SITE_URL + request.get_absolute_url(),
        "report_url": settings.SITE_URL + reverse("reminders:report_publication", args=[request.reference]),
    }


def _to_applicant(name: str, request, **context) -> None:
    _send(
        name,
        to=[request.applicant.email],
        context={**_licence_context(request), **context},
        recipient=request.applicant,
    )


def send_terms_reminder(*, request, months: int) -> None:
    _to_applicant("terms_reminder", request, months=months)


def send_signature_nudge(*, request, days: int) -> None:
    _to_applicant("signature_nudge", request, days=days, stale_after=settings.STALE_AFTER_DAYS)


def send_returned_nudge(*, request, days: int) -> None:
    _to_applicant("returned_nudge", request, days=days, stale_after=settings.STALE_AFTER_DAYS)


def send_stale_withdrawn(*, request, days: int) -> None:
    _to_applicant("stale_withdrawn", request, days=days)


def send_expiry_notice(*, request, days: int) -> None:
    _to_applicant("expiry_notice", request, days=days)


def send_licence_expired(*, request) -> None:
    _to_applicant("licence_expired", request)


def send_reviewer_digest(*, reviewer, requests: list) -> None:
    _send(
        "reviewer_digest",
        to=[reviewer.email],
        recipient=reviewer,
        context={
            "reviewer": reviewer,
            "requests": requests,
            "references": ", ".join(r.reference for r in requests[:3]) + (", …" if len(requests) > 3 else ""),
            "preference_url": settings.SITE_URL + reverse("reminders:digest_preference"),
        },
    )


# --- Review: the applicant hears about every decision ------------------------------------------------


def request_approved(request) -> None:
    """The licence: its reference and expiry, the citation, the terms that bind, where delivery is explained."""
    _to_applicant("request_approved", request)


def request_rejected(request) -> None:
    _to_applicant("request_rejected", request)


def request_returned(request) -> None:
    """Which fields to correct and why; the applicant then signs a new agreement."""
    _to_applicant("request_returned", request, fields=returned_field_labels(request=request))


def request_revoked(request) -> None:
    _to_applicant("request_revoked", request)


# --- A changed agreement the licensee must accept ---------------------------------------------------


def reacceptance_needed(request) -> None:
    """The agreement changed: what to do to keep the licence's delivery instructions."""
    _to_applicant("reacceptance_needed", request)


def reacceptance_nudge(request, *, days: int) -> None:
    _to_applicant("reacceptance_nudge", request, days=days)


# --- Who is asking: the representative named on a request -------------------------------------------


def representative_confirmation(confirmation, *, link: str, expires_at, reminder: bool) -> None:
    """To the representative, who has no account: in the applicant's language, the one the form was filled in."""
    request = confirmation.request
    _send(
        "representative_confirmation",
        to=[confirmation.email],
        recipient=request.applicant,
        context={
            "request": request,
            "dataset": request.dataset,
            "link": link,
            "expires_at": expires_at,
            "reminder": reminder,
        },
    )


# --- A reviewer's day: new work for the reviewers, receipts for the applicant ------------------------


def _review_url(request) -> str:
    return settings.SITE_URL + reverse("review:request", args=[request.reference])


def _preference_url() -> str:
    return settings.SITE_URL + reverse("reminders:digest_preference")


def new_work(*, reviewer, event, what: str) -> None:
    """One submission, signed copy or correction for `reviewer` to look at."""
    request = event.request
    _send(
        "new_work",
        to=[reviewer.email],
        recipient=reviewer,
        context={
            "reviewer": reviewer,
            "request": request,
            "dataset": request.dataset,
            "event": event,
            "what": what,
            # Called as the email renders, so in the reviewer's language: the note's field labels as they read them.
            "note_labels": functools.partial(localised.labels_for_notes, request.agreement_version),
            "review_url": _review_url(request),
            "preference_url": _preference_url(),
        },
    )


def new_work_digest(*, reviewer, items: list) -> None:
    """The day's new work in the reviewer's datasets: [(event, what)], oldest first."""
    _send(
        "new_work_digest",
        to=[reviewer.email],
        recipient=reviewer,
        context={
            "reviewer": reviewer,
            "items": [
                {"event": event, "what": what, "request": event.request, "review_url": _review_url(event.request)}
                for event, what in items
            ],
            "queue_url": settings.SITE_URL + reverse("review:queue"),
            "preference_url": _preference_url(),
        },
    )


def submission_receipt(request) -> None:
    """The applicant's receipt: what was submitted, and that the signed agreement comes next."""
    _to_applicant("submission_receipt", request, fields=request.signer_values())


def upload_receipt(request, *, signed_copy) -> None:
    """The applicant's receipt for a signed copy, with what its check found."""
    _to_applicant("upload_receipt", request, signed_copy=signed_copy)


def executed_agreement(request) -> None:
    """The owner countersigned the agreement: the executed agreement is on the licensee's request page."""
    _to_applicant("executed_agreement", request)


def licence_extended(request) -> None:
    """The licence runs on under the same reference, to its new expiry."""
    _to_applicant("licence_extended", request)


def renewal_refused(request, *, renewal) -> None:
    """The renewal was refused, and why; the licence runs on to its expiry."""
    _to_applicant("renewal_refused", request, renewal=renewal)


def papers_reminder(request, *, publications: list) -> None:
    """Once a year: which papers used the dataset? With those already reported."""
    _to_applicant("papers_reminder", request, publications=publications)
