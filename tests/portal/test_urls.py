"""No URL answers 500 to junk: a NUL byte in any path segment or query parameter is a 4xx.

PostgreSQL refuses NUL in a query (DataError), so this matters most there; .ci/run runs it on both.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from requests_app.integrations import keys
from tests import journeys

NUL = "%00"
QUERY_PARAMETERS = ["licence", "page", "status", "dataset", "search", "overdue", "issue", "inline", "next"]
# What the API's filters and cursor pagination read (integrations/api.py).
API_PARAMETERS = ["dataset", "status", "organisation", "changed_since", "licence", "cursor", "limit"]


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


def test_no_api_filter_answers_500_to_a_nul_byte(alice, bob, lagper, every_url):
    """The API is walked as a download server with a key that may decide, so its filters are reached."""
    key = keys.api_key_create(user=bob, name="download server", datasets=[lagper], can_decide=True).key
    server = Client(headers={"Authorization": f"Bearer {key}"}, raise_request_exception=False)
    api_urls = [url for url in every_url if url.startswith("/api/")]
    api_urls += [
        f"/api/v1/{listed}/?{name}={NUL}" for listed in ("licences", "events", "revocations") for name in API_PARAMETERS
    ]
    failures = [
        (method.__name__, url, status)
        for url in api_urls
        for method in (server.get, server.post)
        if (status := method(url).status_code) >= 500
    ]
    assert failures == []
    assert server.get(f"/api/v1/licences/?status={NUL}").status_code == 400
