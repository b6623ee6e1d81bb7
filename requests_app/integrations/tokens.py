"""Verifiable licence tokens: a JWT (RS256) a download server can check offline.

Shaped like a GA4GH passport visa (`ga4gh_visa_v1`, type ControlledAccessGrants) with the
licence's own claims beside it: `sub` (the licensee, as this portal knows them), `dataset`,
`licence` (the reference) and `exp` (never past the licence's expiry). Public keys are at
/.well-known/jwks.json, `kid` = the RFC 7638 thumbprint. A revoked licence's reference is listed at
/api/v1/revocations/: a token stays valid cryptographically until `exp`, so verifiers check there.

The private key is read from LICENCE_TOKEN_KEY_FILE (PEM); when the file is missing and
LICENCE_TOKEN_GENERATE_KEY is on (the default while DEBUG), a key is generated there once.
"""

import base64
import datetime
import functools
import hashlib
import json
import os
import secrets
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from requests_app.models import LicenseRequest

ALGORITHM = "RS256"


@functools.cache
def _load_key(path: Path, generate: bool) -> rsa.RSAPrivateKey:
    if not path.exists():
        if not generate:
            raise ImproperlyConfigured(f"LICENCE_TOKEN_KEY_FILE {path} does not exist.")
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created readable by its owner only; O_EXCL: two processes starting at once keep one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _load_key(path, False)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured("LICENCE_TOKEN_KEY_FILE must hold an RSA private key.")
    return key


def private_key() -> rsa.RSAPrivateKey:
    return _load_key(Path(settings.LICENCE_TOKEN_KEY_FILE), settings.LICENCE_TOKEN_GENERATE_KEY)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk() -> dict:
    numbers = private_key().public_key().public_numbers()
    jwk = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    thumbprint = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest()
    kid = base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


def jwks() -> dict:
    return {"keys": [public_jwk()]}


def licence_token(*, licence: LicenseRequest, now: datetime.datetime) -> str:
    """The signed token of an active licence (the caller checks that it is active)."""
    expires = now + datetime.timedelta(days=settings.LICENCE_TOKEN_MAX_DAYS)
    if licence.expires_at is not None:
        expires = min(expires, licence.expires_at)
    dataset_url = f"{settings.SITE_URL}{reverse('requests_app:dataset_detail', args=[licence.dataset.slug])}"
    claims = {
        "iss": settings.SITE_URL,
        "sub": f"{settings.SITE_URL}/users/{licence.applicant_id}",
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_urlsafe(16),
        "dataset": licence.dataset.slug,
        "licence": licence.reference,
        "ga4gh_visa_v1": {
            "type": "ControlledAccessGrants",
            "asserted": int(licence.approved_at.timestamp()),
            "value": dataset_url,
            "source": settings.SITE_URL,
            "by": "dac",
        },
    }
    return jwt.encode(claims, private_key(), algorithm=ALGORITHM, headers={"kid": public_jwk()["kid"], "typ": "JWT"})
