"""Linking new RequestEvents onto their request's chain, wherever they are created."""

from .chain import GENESIS, hash_of


def link_all(events) -> None:
    """Give each unsaved event its `seq`, `prev_hash` and `hash`, after its request's last stored event.

    Several events of one request in one call are chained in the order given. Two writers racing on
    one request cannot both take the same `seq`: (request, seq) is unique, so one of them fails
    (status changes are already serialised by the request row's conditional UPDATE).
    """
    from ..models import RequestEvent

    heads: dict[int, tuple[int, str]] = {}
    for event in events:
        if event.request_id not in heads:
            last = (
                RequestEvent.objects.filter(request_id=event.request_id)
                .order_by("-seq")
                .values_list("seq", "hash")
                .first()
            )
            heads[event.request_id] = last or (0, GENESIS)
        seq, prev = heads[event.request_id]
        event.seq, event.prev_hash = seq + 1, prev
        event.hash = hash_of(event)
        heads[event.request_id] = (event.seq, event.hash)
