"""The audit trail is a hash chain per request; verify_audit finds any rewrite, even by raw SQL."""

import datetime
import hashlib
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from requests_app.audit import chain
from requests_app.audit.digest import build_digest, publish_digest, read_digest
from requests_app.audit.verify import verify
from requests_app.models import LicenseRequest, RequestEvent
from requests_app.review.services import request_approve, request_revoke
from tests import journeys
from tests.factories import UserFactory

Status = LicenseRequest.Status
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's own bypasses")
postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's own bypasses")


@pytest.fixture
def decided(alice, lagper):
    """Alice's request, approved by Bob, then revoked: five events in its chain (started, submitted, signed
    copy sent, then the approval and the revocation)."""
    bob = UserFactory(username="bob", email="bob@nwpu.example")
    lagper.reviewers.add(bob)
    request = journeys.under_review(applicant=alice, dataset=lagper)
    request_approve(request=request, reviewer=bob, expires_at=None, note="Looks right.", ip="203.0.113.9")
    request_revoke(request=request, reviewer=bob, reason="Shared with another lab.", ip="2001:db8::1")
    return request


APPROVAL, REVOCATION = 4, 5  # the decided request's events by their place in its chain


def problems():
    return [(p.reference, p.kind) for p in verify()[1]]


def raw(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_each_event_carries_the_hash_of_the_one_before_and_of_itself(decided):
    events = list(decided.events.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == ""
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    for event in events:
        # The published form, written out here so that anyone can check a chain without the portal's code.
        content = {
            "v": 1,
            "request": decided.pk,
            "seq": event.seq,
            "actor": event.actor_id,
            "from": event.from_status,
            "to": event.to_status,
            "note": event.note,
            "at": event.at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "ip": event.ip or "",
            "prev": event.prev_hash,
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert event.hash == hashlib.sha256(canonical).hexdigest()


def test_the_hash_covers_every_field_of_the_content(decided):
    event = decided.events.get(seq=APPROVAL)
    content = {
        "request_id": decided.pk,
        "seq": APPROVAL,
        "actor_id": event.actor_id,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "at": event.at,
        "ip": event.ip,
        "prev_hash": event.prev_hash,
    }
    changed = {
        "note": "Looks wrong.",
        "to_status": Status.REJECTED,
        "actor_id": None,
        "ip": "203.0.113.10",
        "at": event.at.replace(microsecond=(event.at.microsecond + 1) % 1_000_000),
        "seq": REVOCATION,
        "prev_hash": "0" * 64,
    }
    for field, value in changed.items():
        assert chain.event_hash(**{**content, field: value}) != event.hash, field


def test_a_user_agent_is_in_the_published_form_only_when_the_event_has_one(decided):
    event = decided.events.get(seq=APPROVAL)
    content = {
        "request_id": decided.pk,
        "seq": APPROVAL,
        "actor_id": event.actor_id,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "at": event.at,
        "ip": event.ip,
        "prev_hash": event.prev_hash,
    }
    assert chain.event_hash(**content, user_agent=None) == chain.event_hash(**content, user_agent="") == event.hash
    with_agent = json.loads(chain.canonical(**content, user_agent="Mozilla/5.0 (王)"))
    assert with_agent == {**json.loads(chain.canonical(**content)), "ua": "Mozilla/5.0 (王)"}
    assert chain.event_hash(**content, user_agent="Mozilla/5.0") != chain.event_hash(**content, user_agent="curl")


@sqlite_only
def test_sqlite_a_rewritten_user_agent_is_found(decided):
    raw("DROP TRIGGER requestevent_no_update")
    raw(
        "UPDATE requests_app_requestevent SET user_agent = 'curl' WHERE request_id = %s AND seq = %s",
        decided.pk,
        APPROVAL,
    )
    assert problems() == [(decided.reference, "rewritten")]


def test_bulk_created_events_are_chained_in_order(decided, charlie):
    RequestEvent.objects.bulk_create(
        RequestEvent(
            request=decided, actor=charlie, from_status=Status.REVOKED, to_status=Status.REVOKED, at=decided.updated_at
        )
        for _ in range(2)
    )
    assert list(decided.events.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    assert problems() == []


def test_verify_audit_passes_on_an_untouched_history(decided, capsys):
    call_command("verify_audit")
    assert "The audit trail holds: 5 events checked." in capsys.readouterr().out


def test_a_raw_status_update_without_an_event_is_found(decided):
    raw("UPDATE requests_app_licenserequest SET status = 'approved' WHERE id = %s", decided.pk)
    assert problems() == [(decided.reference, "status without event")]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_audit")


# --- SQLite: what the triggers cannot stop ------------------------------------------------------------------


@sqlite_only
def test_sqlite_insert_or_replace_of_an_event_is_found(decided):
    # REPLACE deletes and inserts without firing the delete trigger: the row is rewritten in place.
    raw(
        "INSERT OR REPLACE INTO requests_app_requestevent (id, request_id, actor_id, from_status, to_status, note, at, ip, seq, prev_hash, hash)"
        " SELECT id, request_id, actor_id, from_status, to_status, 'Approved without question.', at, ip, seq, prev_hash, hash"
        " FROM requests_app_requestevent WHERE request_id = %s AND seq = %s",
        decided.pk,
        APPROVAL,
    )
    assert decided.events.get(seq=APPROVAL).note == "Approved without question."
    assert problems() == [(decided.reference, "rewritten")]


@sqlite_only
def test_sqlite_dropped_triggers_then_raw_update_and_delete_are_found(decided):
    raw("DROP TRIGGER requestevent_no_update")
    raw("DROP TRIGGER requestevent_no_delete")
    raw(
        "UPDATE requests_app_requestevent SET note = 'Nothing to see.' WHERE request_id = %s AND seq = %s",
        decided.pk,
        REVOCATION,
    )
    assert problems() == [(decided.reference, "rewritten")]
    raw("DELETE FROM requests_app_requestevent WHERE request_id = %s AND seq = %s", decided.pk, APPROVAL)
    assert set(problems()) == {
        (decided.reference, "gap"),
        (decided.reference, "broken link"),
        (decided.reference, "rewritten"),
        (decided.reference, "out of order"),
    }


@sqlite_only
def test_sqlite_a_recomputed_rewrite_is_caught_by_the_published_digest(decided, tmp_path):
    # Whoever knows the (public) algorithm can rewrite the last event and its hash consistently ...
    digest = tmp_path / "digest.json"
    digest.write_text(json.dumps(build_digest()))
    head = decided.events.get(seq=REVOCATION)
    forged = chain.event_hash(
        request_id=decided.pk,
        seq=REVOCATION,
        actor_id=head.actor_id,
        from_status=head.from_status,
        to_status=head.to_status,
        note="Revoked by mistake.",
        at=head.at,
        ip=head.ip,
        prev_hash=head.prev_hash,
    )
    raw(
        "INSERT OR REPLACE INTO requests_app_requestevent (id, request_id, actor_id, from_status, to_status, note, at, ip, seq, prev_hash, hash)"
        " SELECT id, request_id, actor_id, from_status, to_status, 'Revoked by mistake.', at, ip, seq, prev_hash, %s"
        " FROM requests_app_requestevent WHERE id = %s",
        forged,
        head.pk,
    )
    assert problems() == []  # ... so the chain alone holds,
    with pytest.raises(CommandError):  # but not against the heads the owner kept.
        call_command("verify_audit", "--digest", str(digest))


@sqlite_only
def test_sqlite_cutting_off_the_last_events_is_found(decided, tmp_path):
    digest = tmp_path / "digest.json"
    digest.write_text(json.dumps(build_digest()))
    raw("DROP TRIGGER requestevent_no_delete")
    raw("DELETE FROM requests_app_requestevent WHERE request_id = %s AND seq = %s", decided.pk, REVOCATION)
    assert problems() == [(decided.reference, "status without event")]
    # Even with the status put back to match, the digest knows there was a fifth event.
    raw("UPDATE requests_app_licenserequest SET status = 'approved' WHERE id = %s", decided.pk)
    assert problems() == []
    _, found = verify(heads=read_digest(digest.read_text()))
    assert [(p.kind, p.detail) for p in found] == [("digest", "event 5, published in the digest, is gone (truncated)")]


# --- PostgreSQL, as a superuser ------------------------------------------------------------------------------


@postgresql_only
def test_postgresql_a_superuser_bypassing_the_triggers_is_found(decided):
    raw("SET session_replication_role = replica")
    try:
        raw(
            "UPDATE requests_app_requestevent SET note = 'Nothing to see.' WHERE request_id = %s AND seq = %s",
            decided.pk,
            APPROVAL,
        )
    finally:
        raw("SET session_replication_role = DEFAULT")
    assert problems() == [(decided.reference, "rewritten")]


# --- The digest ----------------------------------------------------------------------------------------------


def test_the_digest_is_signed_and_a_changed_one_is_refused(decided):
    digest = build_digest()
    assert read_digest(json.dumps(digest)) == {decided.reference: (REVOCATION, decided.events.get(seq=REVOCATION).hash)}
    tampered = {**digest, "heads": {decided.reference: [APPROVAL, decided.events.get(seq=APPROVAL).hash]}}
    with pytest.raises(ValueError, match="signature does not match"):
        read_digest(json.dumps(tampered))


def test_the_daily_digest_is_written_and_its_root_emailed_to_the_owner(decided, settings, tmp_path):
    settings.AUDIT_DIGEST_DIR = tmp_path / "audit"
    settings.AUDIT_DIGEST_EMAILS = ["owner@nwpu.example"]
    path = publish_digest()
    digest = json.loads(path.read_text())
    assert digest["requests"] == 1 and digest["heads"][decided.reference][0] == REVOCATION
    [message] = mail.outbox
    assert message.to == ["owner@nwpu.example"]
    assert digest["root"] in message.body and digest["signature"] in message.body
    call_command("verify_audit", "--digest", str(path))


def test_the_digest_is_in_the_beat_schedule(settings):
    assert settings.CELERY_BEAT_SCHEDULE["audit-digest"]["task"] == "requests_app.audit.tasks.audit_digest"
