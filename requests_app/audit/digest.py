"""The daily digest of chain heads: what the owner keeps outside the database.

An attacker who rewrites history with raw SQL can recompute a whole chain, but not the digests
already written to the owner's log or mailbox: `verify_audit --digest FILE` then shows the change.
The digest is signed (HMAC-SHA256 with AUDIT_DIGEST_KEY, by default derived from SECRET_KEY) so a
forged digest file is refused too.
"""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .. import clock

SALT = "requests_app.audit.digest"


def chain_heads() -> dict[str, tuple[int, str]]:
    """reference -> (seq, hash) of each request's last event."""
    from ..models import LicenseRequest, RequestEvent

    last = RequestEvent.objects.filter(request=OuterRef("pk")).order_by("-seq")
    rows = (
        LicenseRequest.objects.exclude(reference=None)
        .annotate(
            head_seq=Subquery(last.values("seq")[:1]),
            head_hash=Subquery(last.values("hash")[:1]),
        )
        .exclude(head_seq=None)
        .values_list("reference", "head_seq", "head_hash")
        .order_by("pk")
    )
    return {ref: (seq, digest) for ref, seq, digest in rows}


def _payload(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _sign(payload: bytes) -> str:
    secret = settings.AUDIT_DIGEST_KEY or settings.SECRET_KEY
    return salted_hmac(SALT, payload, secret=secret, algorithm="sha256").hexdigest()


def build_digest(*, now=None) -> dict:
    heads = chain_heads()
    body = {
        "generated_at": (now or clock.now()).isoformat(),
        "requests": len(heads),
        "heads": {ref: list(head) for ref, head in heads.items()},
        # One hash over every head, short enough to email or print and compare by eye.
        "root": hashlib.sha256(_payload({ref: list(head) for ref, head in heads.items()})).hexdigest(),
    }
    return {**body, "signature": _sign(_payload(body))}


def read_digest(text: str) -> dict[str, tuple[int, str]]:
    """The heads of a digest this installation signed; ValueError when it was not, or was changed."""
    try:
        digest = json.loads(text)
        signature = digest.pop("signature")
    except (ValueError, KeyError, AttributeError) as error:
        raise ValueError("not an audit digest") from error
    if not constant_time_compare(signature, _sign(_payload(digest))):
        raise ValueError("the digest's signature does not match: it was changed or signed with another key")
    return {ref: (int(seq), str(head)) for ref, (seq, head) in digest["heads"].items()}


def publish_digest(*, now=None) -> Path:
    """Write today's digest to AUDIT_DIGEST_DIR (one file a day) and email its root to AUDIT_DIGEST_EMAILS."""
    from .emails import audit_digest

    now = now or clock.now()
    digest = build_digest(now=now)
    folder = Path(settings.AUDIT_DIGEST_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"audit-digest-{timezone.localtime(now):%Y-%m-%d}.json"
    path.write_text(json.dumps(digest, indent=1, sort_keys=True))
    if settings.AUDIT_DIGEST_EMAILS:
        audit_digest(to=list(settings.AUDIT_DIGEST_EMAILS), context={"digest": digest, "path": path.name})
    return path
