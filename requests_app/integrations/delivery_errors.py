"""A webhook delivery's error, stored in English and retold in the reader's language.

The worker writes `last_error` inside translation.override("en") (webhooks.deliver), whatever
language its task or the reviewer who pressed "Send test event" had active, so the row reads the
same for everyone. Each message below is matched whole and retold with its parts, themselves
retold when they are messages (the kind of address refused). A text that matches none, an
exception's name or an error stored before this rule, is shown as stored.
"""

import re
from functools import cache

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

MESSAGES = (
    gettext_noop("Refused: %(reason)s"),
    gettext_noop("No answer: %(error)s"),
    gettext_noop("HTTP %(status)s"),
    gettext_noop("The URL must start with https://."),
    gettext_noop("The URL has no host name."),
    gettext_noop("%(host)s does not resolve to any address."),
    gettext_noop("%(host)s resolves to %(address)s, %(refusal)s: the portal does not send there."),
    gettext_noop("a loopback address"),
    gettext_noop("a link-local address"),
    gettext_noop("a private or reserved address"),
)
_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    return tuple(
        (message, re.compile(_PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(message)), re.S)) for message in MESSAGES
    )


def retold(text: str) -> str:
    """`text`, as stored, in the active language."""
    for message, pattern in _patterns():
        if match := pattern.fullmatch(text):
            return _(message) % {name: retold(part) for name, part in match.groupdict().items()}
    return text
