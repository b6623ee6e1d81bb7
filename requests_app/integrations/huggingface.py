"""Gated Hugging Face repositories whose access follows the licences (through huggingface_hub).

On approval the licensee's Hugging Face user is accepted (if they already asked the repository)
or granted access; on revocation or expiry their access is cancelled (back to pending, no access).
A periodic sweep reads the repository's pending requests: a user with an active licence here is
accepted, anyone else is left pending and recorded, for the owner to point them at the portal.
Every call and its result is kept as a HuggingFaceCall on the request.
"""

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from requests_app import selectors
from requests_app.models import Dataset, LicenseRequest

from .models import HuggingFaceCall, HuggingFacePendingRequest


def _api() -> HfApi:
    return HfApi(endpoint=settings.HF_ENDPOINT, token=settings.HF_TOKEN or None)


def _call(licence: LicenseRequest, action: str, run) -> bool:
    """Run one Hub call for `licence` and record it, whatever its outcome."""
    try:
        outcome = run()
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        ok, result = False, f"HTTP {status}: {str(error).splitlines()[0][:300]}"
    except (OSError, ValueError) as error:  # no answer from the Hub, or one huggingface_hub cannot read
        ok, result = False, f"{type(error).__name__}: {str(error)[:300]}"
    else:
        ok, result = True, "OK" if outcome is None else str(outcome)[:300]
    HuggingFaceCall.objects.create(
        request=licence, repo=licence.dataset.hf_repo, action=action, username=licence.hf_username,
        at=timezone.now(), ok=ok, result=result,
    )
    return ok


def _gated(licence: LicenseRequest) -> bool:
    return bool(licence.dataset.hf_repo and licence.hf_username)


def hf_grant(*, request_id: int) -> bool:
    """Give the licensee access: accept their pending request, or grant access if they have none."""
    licence = LicenseRequest.objects.select_related("dataset").get(pk=request_id)
    if not _gated(licence) or not selectors.licence_is_active(request=licence):
        return False
    api, repo, kind = _api(), licence.dataset.hf_repo, settings.HF_REPO_TYPE
    pending: list = []

    def listing():
        pending.extend(_pending(api, repo))
        return f"{len(pending)} pending"

    _call(licence, "list_pending", listing)
    if licence.hf_username.lower() in {(r.username or "").lower() for r in pending}:
        return _call(licence, "accept", lambda: api.accept_access_request(repo, licence.hf_username, repo_type=kind))
    return _call(licence, "grant", lambda: api.grant_access(repo, licence.hf_username, repo_type=kind))


def hf_cancel(*, request_id: int) -> bool:
    """Take the access away again (the licence was revoked or has expired)."""
    licence = LicenseRequest.objects.select_related("dataset").get(pk=request_id)
    if not _gated(licence):
        return False
    api = _api()
    return _call(licence, "cancel", lambda: api.cancel_access_request(
        licence.dataset.hf_repo, licence.hf_username, repo_type=settings.HF_REPO_TYPE))


def _pending(api: HfApi, repo: str):
    return list(api.list_pending_access_requests(repo, repo_type=settings.HF_REPO_TYPE))


@transaction.atomic
def _record_pending(dataset: Dataset, unlicensed: dict) -> None:
    now = timezone.now()
    for username, requested_at in unlicensed.items():
        HuggingFacePendingRequest.objects.update_or_create(
            dataset=dataset, username=username,
            defaults={"last_seen_at": now, "requested_at": requested_at}, create_defaults={
                "first_seen_at": now, "last_seen_at": now, "requested_at": requested_at,
            },
        )
    HuggingFacePendingRequest.objects.filter(dataset=dataset).exclude(username__in=list(unlicensed)).delete()


def hf_pending_sweep() -> dict[str, list[str]]:
    """For every gated dataset: accept pending users who hold an active licence; record the others.

    Returns {dataset slug: usernames left pending}.
    """
    left: dict[str, list[str]] = {}
    api = _api()
    for dataset in Dataset.objects.exclude(hf_repo="").order_by("slug"):
        pending = _pending(api, dataset.hf_repo)
        licensed = {
            licence.hf_username.lower(): licence
            for licence in selectors.active_licences(now=timezone.now())
            .filter(dataset=dataset).exclude(hf_username="").annotate(hf_lower=Lower("hf_username"))
            .filter(hf_lower__in=[r.username.lower() for r in pending if r.username]).select_related("dataset")
        }
        unlicensed = {}
        for access_request in pending:
            licence = licensed.get((access_request.username or "").lower())
            if licence is None:
                unlicensed[access_request.username or f"request {access_request.request_id}"] = access_request.timestamp
            else:
                _call(licence, "accept", lambda repo=dataset.hf_repo, r=access_request: api.accept_access_request(
                    repo, r.username, repo_type=settings.HF_REPO_TYPE))
        _record_pending(dataset, unlicensed)
        left[dataset.slug] = sorted(unlicensed)
    return left
