"""Recompute every request's chain and say where it does not hold.

Reads with plain queries (no model methods), so it sees what raw SQL left: a changed field, an
event removed or inserted, events cut off at the end, a status changed without an event.
"""

import dataclasses
import json
from collections.abc import Iterator

from .chain import GENESIS, event_hash

EVENT_COLUMNS = (
    "id",
    "request_id",
    "seq",
    "actor_id",
    "from_status",
    "to_status",
    "note",
    "at",
    "ip",
    "user_agent",
    "prev_hash",
    "hash",
)


@dataclasses.dataclass(frozen=True)
class Problem:
    reference: str
    kind: str  # "rewritten", "broken link", "gap", "out of order", "status without event", "no events", "digest"
    detail: str

    def __str__(self):
        return f"{self.reference}: {self.kind}: {self.detail}"


def _events(request_id: int | None = None) -> Iterator[dict]:
    from ..models import RequestEvent

    rows = RequestEvent.objects.order_by("request_id", "seq", "id")
    if request_id is not None:
        rows = rows.filter(request_id=request_id)
    for values in rows.values_list(*EVENT_COLUMNS).iterator(chunk_size=5000):
        yield dict(zip(EVENT_COLUMNS, values, strict=False))


def _requests() -> dict[int, tuple[str, str]]:
    from ..models import LicenseRequest

    return {
        pk: (ref or f"#{pk}", status)
        for pk, ref, status in LicenseRequest.objects.values_list("id", "reference", "status")
    }


def verify(*, heads: dict[str, tuple[int, str]] | None = None) -> tuple[int, list[Problem]]:
    """(events checked, problems). `heads`: reference -> (seq, hash) from a published digest."""
    requests = _requests()
    problems: list[Problem] = []
    last: dict[int, dict] = {}
    checked = 0
    for event in _events():
        checked += 1
        ref = requests.get(event["request_id"], (f"#{event['request_id']}", ""))[0]
        before = last.get(event["request_id"])
        expected_seq = before["seq"] + 1 if before else 1
        expected_prev = before["hash"] if before else GENESIS
        if event["seq"] != expected_seq:
            problems.append(Problem(ref, "gap", f"event {event['seq']} follows {expected_seq - 1}: events are missing"))
        if event["prev_hash"] != expected_prev:
            problems.append(Problem(ref, "broken link", f"event {event['seq']} does not follow the event before it"))
        recomputed = event_hash(
            request_id=event["request_id"],
            seq=event["seq"],
            actor_id=event["actor_id"],
            from_status=event["from_status"],
            to_status=event["to_status"],
            note=event["note"],
            at=event["at"],
            ip=event["ip"],
            prev_hash=event["prev_hash"],
            user_agent=event["user_agent"],
        )
        if recomputed != event["hash"]:
            problems.append(Problem(ref, "rewritten", f"event {event['seq']} was changed after it was written"))
        if before and event["from_status"] != before["to_status"]:
            problems.append(
                Problem(
                    ref,
                    "out of order",
                    f"event {event['seq']} starts from {event['from_status'] or 'nothing'}, "
                    f"the one before ended in {before['to_status']}",
                )
            )
        last[event["request_id"]] = event
    for request_id, (ref, status) in requests.items():
        head = last.get(request_id)
        if head is None:
            problems.append(Problem(ref, "no events", f"the request is {status} but has no history"))
        elif head["to_status"] != status:
            problems.append(
                Problem(
                    ref,
                    "status without event",
                    f"the request is {status}, its last event left it {head['to_status']}",
                )
            )
    for ref, (seq, digest) in (heads or {}).items():
        request_id = next((pk for pk, (r, _s) in requests.items() if r == ref), None)
        chain = list(_events(request_id)) if request_id is not None else []
        match = next((e for e in chain if e["seq"] == seq), None)
        if match is None:
            problems.append(Problem(ref, "digest", f"event {seq}, published in the digest, is gone (truncated)"))
        elif match["hash"] != digest:
            problems.append(Problem(ref, "digest", f"event {seq} differs from the one published in the digest"))
    return checked, problems


def heads_from_digest(text: str) -> dict[str, tuple[int, str]]:
    return {ref: (int(seq), digest) for ref, (seq, digest) in json.loads(text)["heads"].items()}
