"""The address of the person behind a request, as far as the portal can trust it.

REMOTE_ADDR is whoever opened the connection: behind a TLS proxy, the proxy. X-Forwarded-For is
written by every proxy on the way (each appends the address it saw), but its left part is whatever
the client sent. So the header is read from the right, and only while the hop that wrote it is a
trusted proxy (settings.TRUSTED_PROXIES); the first address not in that list is the client.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the nearest untrusted hop when REMOTE_ADDR is a trusted proxy."""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    remote = _parse(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    if not networks:
        return str(remote)
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    address = remote
    while any(address in net for net in networks) and hops:
        hop = _parse(hops.pop())
        if hop is None:
            break  # a malformed hop: keep the last address a trusted proxy vouched for
        address = hop
    return str(address)
