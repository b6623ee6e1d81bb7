"""The history's notes in the reader's language, where the portal wrote them itself.

Notes are stored as written (English, append-only); those the portal writes word for word are
listed here, so a Chinese reader sees them translated. Anything else (a reviewer's reason, a check's
summary) is shown as stored. No query.
"""

from django import template
from django.utils.translation import gettext, gettext_noop

from ..identity.services import NOTE_CONFIRMED, NOTE_DECLINED

register = template.Library()

PORTAL_NOTES = frozenset({
    gettext_noop("Application started."),
    gettext_noop("Submitted; every clause accepted."),
    gettext_noop("Withdrawn by the applicant."),
    gettext_noop("Approved."),
    gettext_noop("Approved from the admin."),
    gettext_noop("Licence expired."),
    gettext_noop("Corrected and resubmitted."),
    gettext_noop("The representative confirmed the request by the emailed link."),
    gettext_noop("The representative declined the request by the emailed link."),
})
assert {NOTE_CONFIRMED, NOTE_DECLINED} <= PORTAL_NOTES


@register.filter
def event_note(note: str) -> str:
    return gettext(note) if note in PORTAL_NOTES else note
