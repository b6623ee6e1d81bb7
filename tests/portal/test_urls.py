"""No URL answers 500 to junk: a NUL byte in any path segment or query parameter is a 4xx.

PostgreSQL refuses NUL in a query (DataError), so this matters most there; .ci/run runs it on both.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests import journeys

NUL = "%00"
QUERY_PARAMETERS = ["licence", "page", "status", "dataset", "search", "overdue", "issue", "inline", "next"]


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) == "admin" or str(entry.pattern).startswith("accounts/"):
                continue  # Django's and allauth's own URLs; they are theirs to test
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _with_nul(route: str, reference: str) -> list[str]:
    """The route once with every parameter filled, and once more per parameter with a NUL in it."""
    parts = route.replace("^", "").replace("$", "").split("/")
    filled = [_fill(part, reference) for part in parts]
    urls = ["/" + "/".join(filled)]
    for i, part in enumerate(parts):
        if "<" in part:
            junk = list(filled)
            junk[i] = f"A{NUL}B"
            urls.append("/" + "/".join(junk))
    return urls


def _fill(part: str, reference: str) -> str:
    if "<" not in part:
        return part
    name = part[part.index(":") + 1 if ":" in part else 1 : part.index(">")]
    value = {"reference": reference, "slug": "lagper", "token": "x" * 20, "file_id": "1", "action": "approve"}.get(
        name, "1"
    )
    return part[: part.index("<")] + value + part[part.index(">") + 1 :]


@pytest.fixture
def every_url(alice, bob, lagper):
    reference = journeys.under_review(applicant=alice, dataset=lagper).reference
    urls = {url for route in _patterns(get_resolver()) for url in _with_nul(route, reference)}
    urls |= {f"/review/?{name}={NUL}" for name in QUERY_PARAMETERS}
    urls |= {f"/review/publications/lagper/?{name}={NUL}" for name in QUERY_PARAMETERS}
    urls |= {f"/verify/x/?{name}={NUL}" for name in QUERY_PARAMETERS}
    return sorted(urls)


def test_no_url_answers_500_to_a_nul_byte(client, alice, bob, every_url):
    client.raise_request_exception = False
    failures = []
    for who in (None, alice, bob):
        client.logout()
        if who is not None:
            client.force_login(who)
        for url in every_url:
            for method in (client.get, client.post):
                status = method(url).status_code
                if status >= 500:
                    failures.append((who and who.username, method.__name__, url, status))
    assert failures == []
