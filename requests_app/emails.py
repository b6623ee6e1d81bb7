"""One function per email. Each renders emails/<name>_subject.txt, _body.txt and _body.html."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .selectors import returned_field_labels


def _send(name: str, *, to: list[str], context: dict) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    # Subjects are one line whatever the context holds: a newline would inject a header.
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{name}_body.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"emails/{name}_body.html", context), "text/html")
    message.send()


# --- Review: the applicant hears about every decision ------------------------------------------------


def _decision(name: str, request, **context) -> None:
    _send(
        name,
        to=[request.applicant.email],
        context={
            "request": request,
            "dataset": request.dataset,
            "request_url": settings.SITE_URL + request.get_absolute_url(),
            **context,
        },
    )


def request_approved(request) -> None:
    """The licence: its reference and expiry, the citation, the terms that bind, where delivery is explained."""
    _decision("request_approved", request)


def request_rejected(request) -> None:
    _decision("request_rejected", request)


def request_returned(request) -> None:
    """Which fields to correct and why; the applicant then signs a new agreement."""
    _decision("request_returned", request, fields=returned_field_labels(request))


def request_revoked(request) -> None:
    _decision("request_revoked", request)
