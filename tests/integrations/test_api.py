"""The owner's scripts read licences and decide through /api/v1/ with a reviewer's API key."""

import datetime
import hashlib
import json
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.applications.services import application_save
from requests_app.integrations import keys
from requests_app.models import ApiKey, LicenseRequest, RequestEvent
from requests_app.review.selectors import licence_default_expiry
from requests_app.review.services import request_approve, request_reject, reviewer_grant
from tests import journeys
from tests.factories import UserFactory
from tests.paths import DATA, LAGPER_TOML

Status = LicenseRequest.Status


@pytest.fixture
def otherset(db, tmp_path):
    """A second dataset, reviewed by Dora, not by Bob."""
    text = LAGPER_TOML.read_text().replace('slug = "lagper"', 'slug = "otherset"')
    text = text.replace('name = "LAGPeR"', 'name = "Otherset"').replace(
        'reference_prefix = "LAGPER"', 'reference_prefix = "OTHER"'
    )
    path = Path(tmp_path) / "otherset.toml"
    path.write_text(text)
    dataset = load_dataset_file(path).dataset
    dataset.reviewers.add(UserFactory(username="dora", email="dora@other.example"))
    return dataset


def issue_key(user, datasets, *, can_decide=False) -> str:
    return keys.api_key_create(user=user, name="download server", datasets=datasets, can_decide=can_decide).key


def api(key: str | None) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"} if key else {})


def under_review(dataset, applicant, **fields) -> LicenseRequest:
    return journeys.under_review(applicant=applicant, dataset=dataset, **fields)


def approved(dataset, applicant, reviewer, **fields) -> LicenseRequest:
    request = under_review(dataset, applicant, **fields)
    return request_approve(request=request, reviewer=reviewer, expires_at=licence_default_expiry(dataset=dataset))


@pytest.fixture
def bobs_key(bob, lagper):
    return issue_key(bob, [lagper])


@pytest.fixture
def bobs_deciding_key(bob, lagper):
    return issue_key(bob, [lagper], can_decide=True)


# --- Keys -----------------------------------------------------------------------------------------


def test_a_key_is_stored_only_as_its_hash(bob, lagper):
    issued = keys.api_key_create(user=bob, name="server", datasets=[lagper], can_decide=False)
    stored = ApiKey.objects.get(pk=issued.api_key.pk)
    assert issued.key not in (stored.prefix, stored.key_hash)
    assert issued.key.startswith(f"lp_{stored.prefix}_")
    assert keys.key_for(issued.key) == stored
    assert keys.key_for(issued.key[:-1] + ("A" if issued.key[-1] != "A" else "B")) is None


def test_bob_cannot_scope_a_key_to_a_dataset_he_does_not_review(bob, lagper, otherset):
    with pytest.raises(keys.KeyInvalid):
        keys.api_key_create(user=bob, name="server", datasets=[otherset], can_decide=False)


def test_bob_creates_a_key_on_his_page_sees_it_once_and_revokes_it(bob, lagper):
    client = Client()
    client.force_login(bob)
    page = client.post(reverse("api_keys"), {"name": "download server", "datasets": [lagper.pk], "can_decide": ""})
    assert page.status_code == 200
    key = page.context["issued"].key
    assert key in page.content.decode()
    assert key not in client.get(reverse("api_keys")).content.decode()  # shown once
    assert api(key).get(reverse("api_licences")).status_code == 200

    api_key = ApiKey.objects.get(user=bob)
    assert api_key.last_used_at == timezone.now()
    client.post(reverse("api_key_revoke", args=[api_key.pk]))
    response = api(key).get(reverse("api_licences"))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_the_key_page_is_not_there_for_a_stranger(charlie, lagper):
    client = Client()
    client.force_login(charlie)
    assert client.get(reverse("api_keys")).status_code == 404


def test_charlie_cannot_revoke_bobs_key(bob, charlie, lagper, bobs_key):
    lagper.reviewers.add(charlie)
    client = Client()
    client.force_login(charlie)
    assert client.post(reverse("api_key_revoke", args=[ApiKey.objects.get().pk])).status_code == 404
    assert ApiKey.objects.get().revoked_at is None


# --- Each endpoint: no key, a revoked key, a read-only key, another dataset's key or reference, a valid key ---

LISTS = ["list", "events"]
READS = [*LISTS, "licence"]
DECISION_INPUT = {
    "approve": {},
    "reject": {"reason": "Incomplete."},
    "return": {"fields": ["unit"], "reason": "Name the lab."},
    "revoke": {"reason": "Redistributed."},
}
DECISIONS = list(DECISION_INPUT)
DECIDED = {"approve": Status.APPROVED, "reject": Status.REJECTED, "return": Status.RETURNED, "revoke": Status.REVOKED}


def target(endpoint: str, dataset, applicant, reviewer) -> LicenseRequest:
    """A request the endpoint may act on (revoking needs an approved licence, the other decisions one
    under review), so that a refusal is the key's doing, not the state's."""
    if endpoint == "revoke":
        return approved(dataset, applicant, reviewer)
    return under_review(dataset, applicant)


def call(client: Client, endpoint: str, reference: str):
    if endpoint == "list":
        return client.get(reverse("api_licences"))
    if endpoint == "licence":
        return client.get(reverse("api_licence", args=[reference]))
    if endpoint == "events":
        return client.get(reverse("api_events"))
    return client.post(
        reverse(f"api_licence_{endpoint}", args=[reference]), DECISION_INPUT[endpoint], content_type="application/json"
    )


def unchanged(request: LicenseRequest) -> bool:
    status = request.status
    request.refresh_from_db()
    return request.status == status


@pytest.mark.parametrize("endpoint", READS + DECISIONS)
def test_every_endpoint_answers_a_valid_key(alice, lagper, bob, bobs_deciding_key, endpoint):
    request = target(endpoint, lagper, alice, bob)
    response = call(api(bobs_deciding_key), endpoint, request.reference)
    assert response.status_code == 200, response.content
    if endpoint in DECISIONS:
        request.refresh_from_db()
        assert request.status == DECIDED[endpoint] == response.json()["status"]


@pytest.mark.parametrize("endpoint", READS + DECISIONS)
def test_every_endpoint_refuses_no_key_and_an_unknown_key_with_401(alice, lagper, bob, endpoint):
    request = target(endpoint, lagper, alice, bob)
    for client in (api(None), api("lp_000000000000_nonsense")):
        response = call(client, endpoint, request.reference)
        assert response.status_code == 401
        assert response.json()["detail"]
        assert response["WWW-Authenticate"] == "Bearer"
    assert unchanged(request)


@pytest.mark.parametrize("endpoint", READS + DECISIONS)
def test_every_endpoint_refuses_a_revoked_key_with_401(alice, lagper, bob, endpoint):
    request = target(endpoint, lagper, alice, bob)
    key = issue_key(bob, [lagper], can_decide=True)
    keys.api_key_revoke(user=bob, key_id=ApiKey.objects.get().pk)
    response = call(api(key), endpoint, request.reference)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert unchanged(request)


@pytest.mark.parametrize("endpoint", DECISIONS)
def test_a_read_only_key_may_not_decide(alice, lagper, bob, bobs_key, endpoint):
    request = target(endpoint, lagper, alice, bob)
    response = call(api(bobs_key), endpoint, request.reference)
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert unchanged(request)


def assert_not_found(response, endpoint: str, reference: str) -> None:
    """A reference outside the key's datasets is a 404 with a JSON reason; the lists leave it out."""
    if endpoint in LISTS:
        assert response.status_code == 200
        field = "reference" if endpoint == "list" else "licence"
        assert reference not in [row[field] for row in response.json()["results"]]
    else:
        assert response.status_code == 404
        assert response.json()["detail"]


@pytest.mark.parametrize("endpoint", READS + DECISIONS)
def test_every_endpoint_hides_another_datasets_reference(alice, lagper, otherset, bob, bobs_deciding_key, endpoint):
    dora = otherset.reviewers.get()
    theirs = target(endpoint, otherset, alice, dora)
    assert_not_found(call(api(bobs_deciding_key), endpoint, theirs.reference), endpoint, theirs.reference)
    assert unchanged(theirs)


@pytest.mark.parametrize("endpoint", READS + DECISIONS)
def test_a_key_for_another_dataset_does_not_reach_lagper_though_bob_reviews_both(
    alice, lagper, otherset, bob, endpoint
):
    reviewer_grant(dataset=otherset, reviewer=bob)
    others_key = issue_key(bob, [otherset], can_decide=True)
    request = target(endpoint, lagper, alice, bob)
    assert_not_found(call(api(others_key), endpoint, request.reference), endpoint, request.reference)
    assert unchanged(request)


def test_a_key_stops_working_for_a_dataset_its_owner_no_longer_reviews(alice, lagper, bob, bobs_key):
    request = under_review(lagper, alice)
    lagper.reviewers.remove(bob)
    assert api(bobs_key).get(reverse("api_licence", args=[request.reference])).status_code == 404


# --- Reads ----------------------------------------------------------------------------------------


def test_one_licence_shows_what_the_owner_asked_for_and_nothing_else(alice, lagper, bob, bobs_key):
    licence = approved(lagper, alice, bob)
    body = api(bobs_key).get(reverse("api_licence", args=[licence.reference])).json()
    assert set(body) == {
        "reference",
        "status",
        "dataset",
        "organisation",
        "signer_names",
        "unit",
        "submitted_at",
        "decided_at",
        "approved_at",
        "expires_at",
        "changed_at",
        "agreement",
        "reacceptance_needed",
    }
    assert body["status"] == "approved" and body["reacceptance_needed"] is False
    assert body["dataset"] == "lagper"
    assert body["organisation"] == "EXAMPLE UNIVERSITY"
    assert body["signer_names"] == ["PROF. LI WEI"]
    assert body["unit"] == "Vision Lab, School of Computing"
    assert body["agreement"] == {"version": licence.agreement_version.label, "sha256": licence.agreement_version.sha256}
    assert body["expires_at"] == (
        timezone.now() + datetime.timedelta(days=lagper.licence_duration_days)
    ).isoformat().replace("+00:00", "Z")
    assert alice.email not in str(body) and "research" not in str(body).lower()


def test_licences_are_filtered_by_status_organisation_and_change(alice, charlie, lagper, bob, bobs_key, clock):
    old = approved(lagper, alice, bob, organisation="OLD UNIVERSITY")
    clock.shift(datetime.timedelta(days=2))
    since = timezone.now()
    waiting = under_review(lagper, charlie, organisation="NEW INSTITUTE")
    request_reject(request=under_review(lagper, charlie, organisation="NEW INSTITUTE"), reviewer=bob, reason="No.")

    def refs(**params):
        response = api(bobs_key).get(reverse("api_licences"), params)
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert refs(status="approved") == [old.reference]
    assert refs(organisation="old univ") == [old.reference]
    assert waiting.reference in refs(changed_since=since.isoformat())
    assert old.reference not in refs(changed_since=since.isoformat())
    assert refs(dataset="lagper", status="under_review") == [waiting.reference]
    assert refs(dataset="otherset") == []


def test_a_bad_filter_is_a_400_that_names_it(bob, lagper, bobs_key):
    response = api(bobs_key).get(reverse("api_licences"), {"status": "maybe", "changed_since": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "changed_since"}


def test_the_licence_list_pages_with_a_cursor(alice, lagper, bob, bobs_key):
    made = [under_review(lagper, alice).reference for _ in range(5)]
    seen, url = [], reverse("api_licences") + "?limit=2"
    while url:
        body = api(bobs_key).get(url).json()
        seen += [row["reference"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(made)
    assert len(seen) == 5


def test_the_audit_feed_continues_from_a_cursor(alice, lagper, bob, bobs_key):
    request = under_review(lagper, alice)
    first = api(bobs_key).get(reverse("api_events")).json()
    assert [(e["licence"], e["to_status"], e["actor"]) for e in first["results"]] == [
        (request.reference, status, "applicant") for status in ("draft", "awaiting_signature", "under_review")
    ]
    request_reject(request=request, reviewer=bob, reason="Unit missing.")
    # Follow the feed: a client keeps the last page's `next`, or asks again from the start.
    after = api(bobs_key).get(reverse("api_events"), {"limit": 3}).json()
    rest = api(bobs_key).get(after["next"]).json()
    assert [(e["from_status"], e["to_status"], e["actor"], e["note"]) for e in rest["results"]] == [
        ("under_review", "rejected", "reviewer", "Unit missing.")
    ]


def mirror_and_verify(events: list[dict], heads: dict) -> None:
    """What an owner's mirror does with the feed, written from the README rather than with the portal's code."""
    for event in events:
        seq, head = heads.get(event["licence"], (0, ""))
        assert (event["seq"], event["prev_hash"]) == (seq + 1, head), "an event is missing before this one"
        if event["canonical"] is not None:
            assert hashlib.sha256(event["canonical"].encode()).hexdigest() == event["hash"]
            content = json.loads(event["canonical"])
            assert (content["seq"], content["prev"], content["from"], content["to"], content["note"]) == (
                event["seq"],
                event["prev_hash"],
                event["from_status"],
                event["to_status"],
                event["note"],
            )
        heads[event["licence"]] = (event["seq"], event["hash"])


def test_the_audit_feed_carries_the_hash_chain_a_mirror_verifies(alice, lagper, bob, bobs_key):
    from tests import journeys

    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    heads: dict = {}
    events = api(bobs_key).get(reverse("api_events")).json()["results"]
    mirror_and_verify(events, heads)
    assert [e["to_status"] for e in events] == ["draft", "awaiting_signature", "under_review", "approved"]
    assert RequestEvent.objects.filter(request=licence).order_by("-seq").first().hash == heads[licence.reference][1]

    # A request that was a draft while the mirror read past its first event: `?licence=` gives its whole chain.
    def save(request, *, submit):
        return application_save(
            applicant=alice,
            dataset=lagper,
            request=request,
            fields=journeys.application(lagper),
            submit=submit,
            ip="203.0.113.7",
            user_agent="test",
        )

    draft = save(None, submit=False)
    assert api(bobs_key).get(reverse("api_events"), {"limit": 1000}).json()["results"] == events  # drafts are not shown
    save(draft, submit=True)
    later = [e for e in api(bobs_key).get(reverse("api_events")).json()["results"] if e["licence"] == draft.reference]
    whole = api(bobs_key).get(reverse("api_events"), {"licence": draft.reference}).json()["results"]
    assert [e["seq"] for e in whole] == [1, 2] and whole == later
    mirror_and_verify(whole, heads)

    # A forged event breaks the check: its content no longer hashes to what it claims.
    forged = {**events[-1], "note": "Approved for commercial use."}
    with pytest.raises(AssertionError):
        mirror_and_verify([forged], {licence.reference: (events[-2]["seq"], events[-2]["hash"])})


def test_after_removal_the_feed_keeps_the_links_but_not_the_content(alice, lagper, bob, bobs_key, clock):
    from requests_app.privacy.services import personal_data_remove
    from tests import journeys

    rejected = request_reject(
        request=journeys.under_review(applicant=alice, dataset=lagper),
        reviewer=bob,
        reason="Prof. Li Wei did not sign.",
    )
    personal_data_remove(request=rejected)
    events = api(bobs_key).get(reverse("api_events")).json()["results"]
    assert {e["note"] for e in events} == {"[removed]"} and {e["canonical"] for e in events} == {None}
    assert "Li Wei" not in str(events)
    mirror_and_verify(events, {})


def test_a_reference_whose_prefix_has_a_hyphen_is_found(alice, bob, db):
    dataset = load_dataset_file(DATA / "two_signers.toml").dataset
    reviewer_grant(dataset=dataset, reviewer=bob)
    asked = {
        "country": "CN",
        "intended_use": "academic",
        "project": "Cross-view matching of pedestrians.",
        "supervisor_name": "Prof. Ada Chen",
        "phone": "+86 29 8849 1234",
        "supervisor_consents": True,
    }
    licence = approved(dataset, alice, bob, values=asked)
    assert licence.reference.startswith("TWO-SIG-")
    key = issue_key(bob, [dataset])
    assert api(key).get(reverse("api_licence", args=[licence.reference])).json()["reference"] == licence.reference
    assert [e["licence"] for e in api(key).get(reverse("api_events"), {"licence": licence.reference}).json()["results"]]


def test_a_licence_whose_licensee_must_reaccept_says_so(
    alice, lagper, bob, bobs_key, tmp_path, clock, django_capture_on_commit_callbacks
):
    licence = approved(lagper, alice, bob)
    before = api(bobs_key).get(reverse("api_licence", args=[licence.reference])).json()
    clock.shift(datetime.timedelta(hours=1))
    changed = tmp_path / "lagper.toml"
    changed.write_text(LAGPER_TOML.read_text().replace("commercial activity", "commercial or military activity"))
    with django_capture_on_commit_callbacks(execute=True):
        load_dataset_file(changed, licensees_must_reaccept=True)
    after = api(bobs_key).get(reverse("api_licence", args=[licence.reference])).json()
    assert (before["reacceptance_needed"], after["reacceptance_needed"]) == (False, True)
    assert after["changed_at"] > before["changed_at"]  # "changed since" pollers see it
    listed = api(bobs_key).get(reverse("api_licences"), {"changed_since": after["changed_at"]}).json()["results"]
    assert [row["reference"] for row in listed] == [licence.reference]


@pytest.mark.parametrize("rows", [2, 6])
@pytest.mark.parametrize("url_name", ["api_licences", "api_events"])
def test_the_lists_cost_the_same_queries_for_few_or_many_rows(
    alice, lagper, bob, bobs_key, django_assert_num_queries, url_name, rows
):
    journeys.many(journeys.under_review, rows, applicants=[alice], dataset=lagper)
    # the key (with its user), its last use, its datasets, the page
    with django_assert_num_queries(4):
        response = api(bobs_key).get(reverse(url_name), {"limit": 500})
    # A request under review has three events: started, submitted, signed copy sent.
    assert len(response.json()["results"]) == (rows if url_name == "api_licences" else 3 * rows)


def test_the_key_is_rate_limited(alice, lagper, bob, bobs_key, settings):
    from rest_framework.settings import api_settings

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "3/minute"}
    from requests_app.integrations.keys import ApiKeyRateThrottle

    previous = ApiKeyRateThrottle.THROTTLE_RATES
    ApiKeyRateThrottle.THROTTLE_RATES = rates
    try:
        statuses = [api(bobs_key).get(reverse("api_licences")).status_code for _ in range(4)]
        other = issue_key(bob, [lagper])
        assert statuses == [200, 200, 200, 429]
        assert api(other).get(reverse("api_licences")).status_code == 200  # per key, not per person
    finally:
        ApiKeyRateThrottle.THROTTLE_RATES = previous


# --- Decisions ------------------------------------------------------------------------------------


def decide(key, request, action, data):
    return api(key).post(
        reverse(f"api_licence_{action}", args=[request.reference]), data, content_type="application/json"
    )


def test_bob_approves_by_script_and_alice_is_emailed(
    alice, lagper, bob, bobs_deciding_key, django_capture_on_commit_callbacks
):
    request = under_review(lagper, alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(bobs_deciding_key, request, "approve", {"note": "Checked by the owner's script."})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert request.expires_at == timezone.now() + datetime.timedelta(days=lagper.licence_duration_days)
    assert request.events.last().actor == bob
    assert [m.to for m in mail.outbox] == [[alice.email]]


def test_approve_with_no_expiry_and_the_return_and_revoke_decisions(alice, lagper, bob, bobs_deciding_key):
    request = under_review(lagper, alice)
    assert decide(bobs_deciding_key, request, "approve", {"expires_at": None}).json()["expires_at"] is None
    assert decide(bobs_deciding_key, request, "revoke", {"reason": "Redistributed."}).json()["status"] == "revoked"
    other = under_review(lagper, alice)
    response = decide(bobs_deciding_key, other, "return", {"fields": ["unit"], "reason": "Name the lab."})
    assert response.json()["status"] == "returned"
    other.refresh_from_db()
    assert other.returned_fields == ["unit"]


def test_a_decision_the_state_does_not_allow_is_409_with_the_services_message(alice, lagper, bob, bobs_deciding_key):
    request = under_review(lagper, alice)
    request_reject(request=request, reviewer=bob, reason="No.")
    response = decide(bobs_deciding_key, request, "approve", {})
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"{request.reference} is already rejected")


def test_an_incomplete_decision_is_400_and_changes_nothing(alice, lagper, bob, bobs_deciding_key):
    request = under_review(lagper, alice)
    assert decide(bobs_deciding_key, request, "reject", {"reason": "   "}).status_code == 400
    response = decide(bobs_deciding_key, request, "return", {"fields": ["nonsense"], "reason": "Why."})
    assert response.status_code == 400
    assert "at least one field" in response.json()["detail"]
    response = decide(
        bobs_deciding_key, request, "approve", {"expires_at": (timezone.now() - datetime.timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 400
    assert "already be expired" in response.json()["detail"]
    request.refresh_from_db()
    assert request.status == Status.UNDER_REVIEW


# --- Schema and docs ------------------------------------------------------------------------------


def test_the_schema_and_the_docs_page_are_served_without_any_cdn(client):
    schema = client.get(reverse("api_schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/licences/{reference}/approve/" in schema.content.decode()
    docs = client.get(reverse("api_docs")).content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()
    assert "/static/drf_spectacular_sidecar/" in docs
    # Every asset the page loads is a static file shipped in a package, found without any network.
    import re

    from django.contrib.staticfiles import finders

    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', docs)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    assert all(finders.find(asset) for asset in assets)
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', docs)


# --- The schema holds: schemathesis against a live server -------------------------------------------


def test_the_api_keeps_to_its_schema_on_a_live_server(live_server, bob, alice, lagper):
    """Every operation, a few generated cases each (valid and invalid), every schemathesis check.

    The cases are drawn through each operation's Hypothesis strategy rather than schemathesis'
    pytest plugin, whose fixture loader does not run under this pytest.
    """
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings

    for _ in range(2):
        under_review(lagper, alice)
    approved(lagper, alice, bob)
    key = issue_key(bob, [lagper], can_decide=True)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def keeps_to_schema(case):
            case.call_and_validate(base_url=live_server.url, headers={"Authorization": f"Bearer {key}"})

        keeps_to_schema()


def test_the_review_queue_links_the_key_and_webhook_pages(bob):
    client = Client()
    client.force_login(bob)
    page = client.get(reverse("review:queue")).content.decode()
    assert f'href="{reverse("api_keys")}"' in page and f'href="{reverse("webhooks")}"' in page


@pytest.mark.browser
def test_the_docs_page_renders_in_a_browser_that_may_reach_only_the_portal(live_server, monkeypatch):
    """Swagger UI draws every operation with any request off the portal's own address aborted."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    elsewhere = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def only_the_portal(route):
            if route.request.url.startswith(live_server.url):
                return route.continue_()
            elsewhere.append(route.request.url)
            return route.abort()

        page.route("**/*", only_the_portal)
        page.goto(f"{live_server.url}/api/v1/docs/")
        expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=15_000)
        expect(page.locator("body")).to_contain_text("/api/v1/licences/{reference}/approve/")
        page.screenshot(path=SCREENSHOTS / "api-docs.png", full_page=True)
        browser.close()
    from django.db import connections

    connections.close_all()
    assert elsewhere == []
