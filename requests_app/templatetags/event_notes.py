"""The history's notes in the reader's language, where the portal wrote them itself.

Notes are stored as written (English, append-only, hash-chained): a translation cannot be stored
beside them without breaking the chain. So the notes the portal writes are listed here, word for
word or as patterns with the personal or variable parts (a reviewer's reason, a name, a check's
summary) as placeholders; at display a matching note is re-told in the reader's language with
those parts as stored. A date part (ISO 8601) is shown as the reader writes dates; a list of field
labels (as the agreement file words them) in the labels the view passes, the file's translation
(localised.labels_for_notes), a label it does not know as stored. Anything else (a reviewer's note)
is shown as stored. No query.
"""

import datetime
import re

from django import template
from django.utils.translation import gettext, gettext_noop, pgettext

from ..agreement_format.reacceptance import NOTE_ACCEPTED
from ..documents import check_text
from ..i18n import dates
from ..identity.services import NOTE_CONFIRMED, NOTE_DECLINED
from ..reviewing import countersignature, renewals
from ..workflow import Status

register = template.Library()

PORTAL_NOTES = frozenset(
    {
        gettext_noop("Application started."),
        gettext_noop("Submitted; every clause accepted."),
        gettext_noop("Withdrawn by the applicant."),
        gettext_noop("Approved."),
        gettext_noop("Approved from the admin."),
        gettext_noop("Licence expired."),
        gettext_noop("Corrected and resubmitted."),
        gettext_noop("The representative confirmed the request by the emailed link."),
        gettext_noop("The representative declined the request by the emailed link."),
        gettext_noop("A reviewer is handling your request."),
        renewals.NOTE_REQUESTED_UNCHANGED,
    }
)
assert {NOTE_CONFIRMED, NOTE_DECLINED} <= PORTAL_NOTES

# Most specific first: the first that matches the whole note is used.
PATTERNS = (
    gettext_noop("Approval recommended by %(name)s; a second reviewer must approve. %(note)s"),
    gettext_noop("Approval recommended by %(name)s; a second reviewer must approve."),
    gettext_noop("Claimed by %(name)s."),
    gettext_noop("Assigned to %(assignee)s by %(reviewer)s."),
    gettext_noop("Returned for correction of %(fields)s: %(reason)s"),
    gettext_noop("Signed copy uploaded: %(summary)s."),
    gettext_noop("Signed copy replaced: %(summary)s."),
    countersignature.NOTE_UPLOADED,
    countersignature.NOTE_REPLACED,
    gettext_noop("Withdrawn automatically: %(waiting)s for %(days)s days."),
    renewals.NOTE_REQUESTED_CHANGED,
    renewals.NOTE_RENEWED_AT_ONCE,
    renewals.NOTE_EXTENDED_RENEWAL,
    renewals.NOTE_EXTENDED,
    renewals.NOTE_REFUSED,
    NOTE_ACCEPTED,
)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _regex(msgid: str) -> re.Pattern:
    parts = _PLACEHOLDER.split(msgid)  # text, name, text, name, ..., text
    body = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(body + r"\Z", re.S)


_COMPILED = [(msgid, _regex(msgid)) for msgid in PATTERNS]
_STATUSES = {str(label).lower(): label for label in Status.labels}


def _labels(text: str, labels: dict[str, str]) -> str:
    """`text`, labels joined by ", ", each in the reader's words; as stored unless every one is known.

    Each is matched whole against the known labels, longest first, as a label may hold a comma."""
    if not labels:
        return text
    label = re.compile("|".join(re.escape(known) for known in sorted(labels, key=len, reverse=True) if known))
    told, position = [], 0
    while match := label.match(text, position):
        told.append(labels[match[0]])
        position = match.end()
        if position == len(text):
            return pgettext("between items of a list", ", ").join(told)
        if not text.startswith(", ", position):
            break
        position += 2
    return text


def _shown(name: str, value: str, labels: dict[str, str]) -> str:
    if name == "fields":
        return _labels(value, labels)
    if name == "date":
        try:
            return dates.day(datetime.date.fromisoformat(value))
        except ValueError:
            return value  # written before dates were stored as ISO 8601
    if name == "waiting" and value in _STATUSES:
        return str(_STATUSES[value]).lower()
    if name == "summary":
        return check_text.summary(value)
    return value


@register.filter
def event_note(note: str, labels: dict[str, str] | None = None) -> str:
    """`note` in the reader's language; `labels`: the file's field labels to the reader's (note_labels)."""
    if note in PORTAL_NOTES:
        return gettext(note)
    for msgid, pattern in _COMPILED:
        match = pattern.match(note)
        if match:
            return gettext(msgid) % {
                name: _shown(name, value, labels or {}) for name, value in match.groupdict().items()
            }
    return note
