"""The issued agreement and its signed copies, as one panel for the request pages."""

from django import template

from .. import selectors
from ..forms import SignedCopyForm

register = template.Library()


@register.inclusion_tag("requests_app/_agreement_panel.html", takes_context=True)
def agreement_panel(context, license_request, *, can_upload=True, preview=False):
    """Download link, upload form (applicant, while a signed copy is expected) and every check result.

    Reviewer pages use it too, with can_upload=False and preview=True: the current signed copy is shown
    in the page, so the reviewer sees the signature next to the integrity result without downloading.
    """
    issued = selectors.latest_issued_agreement(license_request)
    upload_open = can_upload and issued is not None and license_request.accepts_signed_copy
    return {
        "license_request": license_request,
        "issued": issued,
        "signed_copies": selectors.signed_copies_of(license_request),
        "form": SignedCopyForm(issued=issued) if upload_open else None,
        "preview": preview,
        "csrf_token": context.get("csrf_token"),
    }
