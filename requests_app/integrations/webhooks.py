"""Webhooks: a small JSON event POSTed to each of a dataset's registered URLs, signed as the
Standard Webhooks specification says (https://www.standardwebhooks.com/):

    webhook-id:        the delivery's id, the same on every retry (deduplicate on it)
    webhook-timestamp: Unix seconds of this attempt
    webhook-signature: "v1," + base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}"))

where `secret` is the base64 after "whsec_" in the secret shown on the webhooks page. Receivers
should refuse a timestamp more than five minutes from their clock.

A URL is checked where it resolves at registration and again at every send, so a name that later
points at loopback, private or link-local addresses is refused rather than followed.
"""

import base64
import ipaddress
import json
import secrets
import socket
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook as Signer

from requests_app.models import Dataset, LicenseRequest, Reacceptance, RequestEvent

from .. import clock
from ..review.selectors import reviewable_datasets
from .models import Webhook, WebhookDelivery

Status = LicenseRequest.Status

# (event type, test on the event). Submission is the move out of draft; the rest are decisions and expiry.
EVENT_TYPES = {
    Status.AWAITING_SIGNATURE: "licence.submitted",
    Status.APPROVED: "licence.approved",
    Status.RETURNED: "licence.returned",
    Status.REJECTED: "licence.rejected",
    Status.REVOKED: "licence.revoked",
    Status.EXPIRED: "licence.expired",
}
TEST_EVENT = "test"
# Not status changes: an active licence whose changed agreement its licensee must accept, and the acceptance.
REACCEPTANCE_NEEDED = "licence.reacceptance_needed"
REACCEPTED = "licence.reaccepted"


def event_type(*, from_status: str, to_status: str) -> str | None:
    """The webhook event a status change is, or None. A corrected request going back to signature is not a submission."""
    if to_status == Status.AWAITING_SIGNATURE and from_status != Status.DRAFT:
        return None
    return EVENT_TYPES.get(to_status)


class WebhookInvalid(ValueError):
    """The URL cannot be registered or sent to. For the user."""


class WebhookFailed(Exception):
    """An attempt failed in a way worth retrying (no answer, or not a 2xx)."""


def _refusal(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return _("a loopback address")
    if ip.is_link_local:
        return _("a link-local address")
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or not ip.is_global:
        return _("a private or reserved address")
    return None


def check_url(url: str) -> str:
    """Raise WebhookInvalid unless `url` is HTTPS and every address its host resolves to is public.

    Returns one of the checked addresses, for the sender to connect to: resolving the name again
    when connecting could give another answer (DNS rebinding). WEBHOOK_ALLOW_PRIVATE_ADDRESSES
    lifts both rules (a receiver on the same machine, in tests).
    """
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise WebhookInvalid(_("The URL must start with https://."))
    if not parts.hostname:
        raise WebhookInvalid(_("The URL has no host name."))
    try:
        addresses = {
            info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        }
    except (socket.gaierror, UnicodeError, ValueError):
        raise WebhookInvalid(_("%(host)s does not resolve to any address.") % {"host": parts.hostname}) from None
    for address in sorted(addresses):
        refusal = None if allow_private else _refusal(address)
        if refusal:
            raise WebhookInvalid(
                _("%(host)s resolves to %(address)s, %(refusal)s: the portal does not send there.")
                % {"host": parts.hostname, "address": address, "refusal": refusal}
            )
    return min(addresses)


def _post(url: str, address: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to `url` on the checked `address`; TLS still verifies the certificate for the URL's host name."""
    parts = urlsplit(url)
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_SECONDS)
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            parts.port or 443,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, parts.port or 80, timeout=timeout, retries=False)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with pool:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "host": parts.netloc.rsplit("@", 1)[-1]},
            redirect=False,
            preload_content=False,
        )
        response.drain_conn()
        return response.status


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@transaction.atomic
def webhook_register(*, user, dataset: Dataset, url: str) -> Webhook:
    if dataset.pk not in {d.pk for d in reviewable_datasets(user=user)}:
        raise WebhookInvalid(_("You can register webhooks only for datasets you review."))
    url = (url or "").strip()
    check_url(url)
    return Webhook.objects.create(
        dataset=dataset, url=url, secret=_new_secret(), created_by=user, created_at=clock.now()
    )


def webhooks_of(user):
    return Webhook.objects.filter(dataset__in=reviewable_datasets(user=user), disabled_at__isnull=True).select_related(
        "dataset"
    )


@transaction.atomic
def webhook_disable(*, user, webhook_id: int) -> Webhook:
    webhook = webhooks_of(user).select_for_update(of=("self",)).get(pk=webhook_id)
    webhook.disabled_at = clock.now()
    webhook.save(update_fields=["disabled_at"])
    return webhook


def recent_deliveries(user, limit: int = 50):
    return WebhookDelivery.objects.filter(webhook__dataset__in=reviewable_datasets(user=user)).select_related(
        "webhook__dataset"
    )[:limit]


def _delivery(webhook: Webhook, kind: str, data: dict) -> WebhookDelivery:
    now = clock.now()
    return WebhookDelivery.objects.create(
        webhook=webhook,
        msg_id=f"msg_{secrets.token_urlsafe(18)}",
        event_type=kind,
        created_at=now,
        payload={"type": kind, "timestamp": now.isoformat(), "data": data},
    )


@transaction.atomic
def deliveries_for_event(*, event: RequestEvent) -> list[int]:
    """One delivery per active webhook of the event's dataset; none when the event is not one we send."""
    kind = event_type(from_status=event.from_status, to_status=event.to_status)
    if kind is None:
        return []
    licence = event.request
    data = {
        **_licence_data(licence),
        "status": event.to_status,
        "from_status": event.from_status,
        "event_id": event.pk,
        "at": event.at.isoformat(),
    }
    webhooks = Webhook.objects.filter(dataset=licence.dataset_id, disabled_at__isnull=True)
    return [_delivery(webhook, kind, data).pk for webhook in webhooks]


def _licence_data(licence: LicenseRequest) -> dict:
    return {
        "licence": licence.reference,
        "dataset": licence.dataset.slug,
        "status": licence.status,
        "url": f"{settings.SITE_URL}{reverse('api_licence', args=[licence.reference])}",
    }


@transaction.atomic
def deliveries_for_reacceptance(*, kind: str, version_id: int, request_ids: list[int]) -> list[int]:
    """One delivery per active webhook and licence: `kind` is REACCEPTANCE_NEEDED or REACCEPTED.

    The data carries the wording to accept (its version and sha256) and, once accepted, when.
    """
    waiting = Reacceptance.objects.filter(agreement_version_id=version_id, request_id__in=request_ids).select_related(
        "request__dataset", "agreement_version"
    )
    webhooks = {}
    created = []
    for reacceptance in waiting.order_by("request_id"):
        licence = reacceptance.request
        if licence.dataset_id not in webhooks:
            webhooks[licence.dataset_id] = list(
                Webhook.objects.filter(dataset=licence.dataset_id, disabled_at__isnull=True)
            )
        version = reacceptance.agreement_version
        data = {
            **_licence_data(licence),
            "reacceptance_needed": reacceptance.accepted_at is None,
            "agreement": {"version": version.label, "sha256": version.sha256},
            "at": (reacceptance.accepted_at or reacceptance.required_at).isoformat(),
        }
        created += [_delivery(webhook, kind, data).pk for webhook in webhooks[licence.dataset_id]]
    return created


@transaction.atomic
def delivery_test(*, user, webhook_id: int) -> WebhookDelivery:
    webhook = webhooks_of(user).get(pk=webhook_id)
    return _delivery(
        webhook, TEST_EVENT, {"dataset": webhook.dataset.slug, "message": "A test event from the licence portal."}
    )


def signed_headers(*, secret: str, msg_id: str, body: str, now) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Signer(secret).sign(msg_id=msg_id, timestamp=now, data=body),
        "content-type": "application/json",
        "user-agent": "licence-portal-webhooks/1",
    }


def deliver(*, delivery_id: int) -> WebhookDelivery:
    """One attempt. Records its outcome; raises WebhookFailed when another attempt may succeed.

    A refused address fails the delivery at once: resolving again later would be the same refusal.
    """
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.delivered_at or delivery.failed_at:
        return delivery
    now = clock.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = None
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    retry = None
    # The error is stored in English, whoever's language is active; each reader has it retold (delivery_errors).
    with translation.override("en"):
        try:
            address = check_url(delivery.webhook.url)
            status = _post(
                delivery.webhook.url,
                address,
                body.encode(),
                signed_headers(secret=delivery.webhook.secret, msg_id=delivery.msg_id, body=body, now=now),
            )
        except WebhookInvalid as error:
            delivery.last_error, delivery.failed_at = _("Refused: %(reason)s") % {"reason": error}, now
        except (urllib3.exceptions.HTTPError, OSError) as error:
            delivery.last_error = _("No answer: %(error)s") % {"error": type(error).__name__}
            retry = WebhookFailed(delivery.last_error)
        else:
            delivery.response_status = status
            if 200 <= status < 300:
                delivery.delivered_at, delivery.last_error = now, ""
            else:
                delivery.last_error = _("HTTP %(status)s") % {"status": status}
                retry = WebhookFailed(delivery.last_error)
    delivery.save()
    if retry:
        raise retry
    return delivery


def give_up(*, delivery_id: int, error: BaseException) -> None:
    """The retries are spent: the delivery shows as failed on the page."""
    WebhookDelivery.objects.filter(pk=delivery_id, delivered_at__isnull=True, failed_at__isnull=True).update(
        failed_at=clock.now()
    )
