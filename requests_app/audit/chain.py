"""The hash chain of one request's events, as pure functions of the stored values.

Every RequestEvent has `seq` (1, 2, 3... within its request), `prev_hash` (the previous event's
`hash`, empty for the first) and `hash`, the SHA-256 of a canonical JSON of its own content and
`prev_hash`. Changing, removing or inserting any event breaks every hash after it; removing the last
events is seen against the request's status and against a published digest of the chain heads.

This module is also imported by the migration that backfilled the chain: the canonical form must
not change without a migration that recomputes every hash.
"""

import datetime
import hashlib
import ipaddress
import json

GENESIS = ""


def _at(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ip(value: str | None) -> str:
    return str(ipaddress.ip_address(value)) if value else ""


def canonical(
    *,
    request_id: int,
    seq: int,
    actor_id: int | None,
    from_status: str,
    to_status: str,
    note: str,
    at: datetime.datetime,
    ip: str | None,
    prev_hash: str,
    user_agent: str | None = None,
) -> bytes:
    """The bytes an event's hash is taken over: every field that is its content, in a fixed form.

    The user agent is in the form only when the event has one, so the events written before the
    column existed keep the bytes, and the hashes, they were written with.
    """
    content: dict[str, object] = {
        "v": 1,
        "request": request_id,
        "seq": seq,
        "actor": actor_id,
        "from": from_status or "",
        "to": to_status,
        "note": note or "",
        "at": _at(at),
        "ip": _ip(ip),
        "prev": prev_hash,
    }
    if user_agent:
        content["ua"] = user_agent
    return json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def event_hash(**content) -> str:
    return hashlib.sha256(canonical(**content)).hexdigest()


def canonical_of(event) -> bytes:
    """The bytes `event`'s hash is taken over, given its fields (what the API's audit feed shows)."""
    return canonical(
        request_id=event.request_id,
        seq=event.seq,
        actor_id=event.actor_id,
        from_status=event.from_status,
        to_status=event.to_status,
        note=event.note,
        at=event.at,
        ip=event.ip,
        prev_hash=event.prev_hash,
        user_agent=event.user_agent,
    )


def hash_of(event) -> str:
    """The hash `event` (a RequestEvent, saved or not) should carry given its fields."""
    return hashlib.sha256(canonical_of(event)).hexdigest()
