"""API keys: created and revoked by reviewers, stored hashed, scoped, rate limited.

A key reads `lp_<prefix>_<secret>`. The prefix finds the row; only the SHA-256 of the whole key is
stored, so the database never holds a usable key. (A fast hash is right here: the secret is 32
random bytes, not a password, so there is nothing to guess.)
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from requests_app.models import Dataset

from .. import clock
from ..review.selectors import reviewable_datasets
from .models import ApiKey

KEY_PREFIX = "lp"


class KeyInvalid(ValueError):
    """What the reviewer asked for cannot be a key. For the user."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    key: str  # shown once, never stored


@transaction.atomic
def api_key_create(*, user, name: str, datasets: list[Dataset], can_decide: bool) -> IssuedKey:
    """A new key for `user`, limited to `datasets` (which `user` must review)."""
    name = (name or "").strip()
    if not name:
        raise KeyInvalid(_("Name the key, e.g. after the server that will use it."))
    reviewed = {d.pk for d in reviewable_datasets(user=user)}
    if not datasets or any(d.pk not in reviewed for d in datasets):
        raise KeyInvalid(_("Choose at least one of the datasets you review."))
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        key_hash=_hash(key),
        can_decide=can_decide,
        created_at=clock.now(),
    )
    api_key.datasets.set(datasets)
    return IssuedKey(api_key=api_key, key=key)


@transaction.atomic
def api_key_revoke(*, user, key_id: int) -> ApiKey:
    """Revoke one of `user`'s keys; revoking twice keeps the first moment."""
    api_key = ApiKey.objects.select_for_update().get(pk=key_id, user=user)
    if api_key.revoked_at is None:
        api_key.revoked_at = clock.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def keys_of(user):
    return ApiKey.objects.filter(user=user).prefetch_related("datasets")


def key_for(raw: str) -> ApiKey | None:
    """The active key `raw` is, or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    api_key = ApiKey.objects.select_related("user").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(raw)):
        return None
    return api_key


def key_scope(api_key: ApiKey) -> list[Dataset]:
    """What a key sees now: its datasets that its owner still reviews."""
    user = api_key.user
    datasets = api_key.datasets.all() if user.is_superuser else api_key.datasets.filter(reviewers=user)
    return list(datasets.order_by("name"))


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer lp_…`. A missing key is anonymous (401 from the permission)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one key: Authorization: Bearer <key>.")
        api_key = key_for(header[1])
        if api_key is None or not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("This key is not valid, or it was revoked.")
        now = clock.now()
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
        return api_key.user, api_key

    def authenticate_header(self, request):
        return self.keyword


class HasApiKey(permissions.BasePermission):
    message = "This endpoint needs an API key: Authorization: Bearer <key>."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey)


class MayDecide(permissions.BasePermission):
    message = "This key is read-only: create one with “decide” to make decisions."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey) and request.auth.can_decide


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """API_KEY_RATE requests per key (default 600 a minute); anonymous calls by address."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": f"key-{request.auth.pk}"}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The key in the schema, so the documentation page offers to send it."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A reviewer's API key (lp_…), from /review/api-keys/.",
        }
