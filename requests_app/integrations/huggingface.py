"""Gated Hugging Face repositories whose access follows the licences (through huggingface_hub).

Access follows selectors.licences_giving_access: an active licence whose holder has no changed
agreement still to accept. On approval, and again on re-acceptance of a changed agreement, the
licensee's Hugging Face user is accepted (if they already asked the repository) or granted access;
on revocation or expiry their access is cancelled, and while a changed agreement awaits their
acceptance it is held (both: back to pending, no access). A periodic sweep reads the repository's
pending requests: a user whose licence gives access is accepted, a held one is left pending, and
anyone else is left pending and recorded, for the owner to point them at the portal.

Each call checks the licence when it runs, not when it was queued: a grant and a hold queued in
quick succession end in the state of the licence, whichever runs last.
Every call and its result is kept as a HuggingFaceCall on the request.
"""

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from requests_app.models import Dataset, LicenseRequest

from .. import clock
from ..applications.selectors import (
    licence_gives_access,
    licence_is_active,
    licences_awaiting_reacceptance,
    licences_giving_access,
)
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
        request=licence,
        repo=licence.dataset.hf_repo,
        action=action,
        username=licence.hf_username,
        at=clock.now(),
        ok=ok,
        result=result,
    )
    return ok


def _gated(licence: LicenseRequest) -> bool:
    return bool(licence.dataset.hf_repo and licence.hf_username)


def hf_grant(*, request_id: int) -> bool:
    """Give the licensee access: accept their pending request, or grant access if they have none."""
    licence = LicenseRequest.objects.select_related("dataset").get(pk=request_id)
    if not _gated(licence) or not licence_gives_access(request=licence):
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
    """Take the access away: "cancel" for a licence revoked or expired, "hold" for one whose holder
    must accept a changed agreement first (hf_grant gives it back then). A licence that gives
    access again by now (accepted meanwhile) keeps it."""
    licence = LicenseRequest.objects.select_related("dataset").get(pk=request_id)
    if not _gated(licence) or licence_gives_access(request=licence):
        return False
    action = "hold" if licence_is_active(request=licence) else "cancel"
    api = _api()
    return _call(
        licence,
        action,
        lambda: api.cancel_access_request(
            licence.dataset.hf_repo, licence.hf_username, repo_type=settings.HF_REPO_TYPE
        ),
    )


def _pending(api: HfApi, repo: str):
    return list(api.list_pending_access_requests(repo, repo_type=settings.HF_REPO_TYPE))


@transaction.atomic
def _record_pending(dataset: Dataset, unlicensed: dict) -> None:
    now = clock.now()
    for username, requested_at in unlicensed.items():
        HuggingFacePendingRequest.objects.update_or_create(
            dataset=dataset,
            username=username,
            defaults={"last_seen_at": now, "requested_at": requested_at},
            create_defaults={
                "first_seen_at": now,
                "last_seen_at": now,
                "requested_at": requested_at,
            },
        )
    HuggingFacePendingRequest.objects.filter(dataset=dataset).exclude(username__in=list(unlicensed)).delete()


def _by_username(licences, dataset: Dataset, usernames: list[str]) -> dict[str, LicenseRequest]:
    """Those of `licences` of `dataset` whose Hugging Face user is one of `usernames` (lower case)."""
    return {
        licence.hf_username.lower(): licence
        for licence in licences.filter(dataset=dataset)
        .exclude(hf_username="")
        .annotate(hf_lower=Lower("hf_username"))
        .filter(hf_lower__in=usernames)
        .select_related("dataset")
    }


def hf_pending_sweep() -> dict[str, list[str]]:
    """For every gated dataset: accept pending users whose licence gives access; leave those whose
    licensee must accept a changed agreement first; record the others.

    Returns {dataset slug: usernames left pending}.
    """
    left: dict[str, list[str]] = {}
    api = _api()
    for dataset in Dataset.objects.exclude(hf_repo="").order_by("slug"):
        pending = _pending(api, dataset.hf_repo)
        asking = [r.username.lower() for r in pending if r.username]
        now = clock.now()
        licensed = _by_username(licences_giving_access(now=now), dataset, asking)
        held = _by_username(licences_awaiting_reacceptance(now=now), dataset, asking)
        unlicensed, still_held = {}, []
        for access_request in pending:
            name = (access_request.username or "").lower()
            licence = licensed.get(name)
            if licence is not None:
                _call(
                    licence,
                    "accept",
                    lambda repo=dataset.hf_repo, r=access_request: api.accept_access_request(
                        repo, r.username, repo_type=settings.HF_REPO_TYPE
                    ),
                )
            elif name in held:  # a licensee, not a stranger: given access once they accept (hf_grant)
                still_held.append(access_request.username)
            else:
                unlicensed[access_request.username or f"request {access_request.request_id}"] = access_request.timestamp
        _record_pending(dataset, unlicensed)
        left[dataset.slug] = sorted([*unlicensed, *still_held])
    return left
