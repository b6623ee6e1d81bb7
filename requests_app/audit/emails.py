"""The audit digest email (same pattern as requests_app/notifications/emails.py: one function per email)."""

from ..notifications.emails import _send


def audit_digest(*, to: list[str], context: dict) -> None:
    _send("audit_digest", to=to, context=context)
