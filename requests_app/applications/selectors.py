"""Reads of an applicant's requests and licences. Return objects or raise DoesNotExist; write nothing."""

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from .. import clock
from ..models import AgreementVersion, Dataset, LicenseRequest, Reacceptance
from ..review.selectors import with_event_count, with_latest_events


def datasets_for_listing() -> QuerySet[Dataset]:
    return Dataset.objects.all()


def dataset_with_current_agreement(*, slug: str) -> tuple[Dataset, AgreementVersion | None]:
    """The dataset and its current agreement (Dataset.current_agreement), in one query when it has one."""
    agreement = (
        AgreementVersion.objects.select_related("dataset")
        .filter(dataset__slug=slug)
        .order_by(*AgreementVersion.NEWEST_FIRST)
        .first()
    )
    if agreement is not None:
        return agreement.dataset, agreement
    return Dataset.objects.get(slug=slug), None


def requests_of_applicant(*, user) -> QuerySet[LicenseRequest]:
    return (
        LicenseRequest.objects.filter(applicant=user)
        .select_related("dataset")
        # A licence whose changed agreement is still to accept says so in the list.
        .annotate(reacceptance_needed=_reacceptance_pending())
        .order_by("-created_at")
    )


def request_for_applicant(*, user, reference: str) -> LicenseRequest:
    """The applicant's own request; DoesNotExist for anyone else's, so a stranger learns nothing.
    Read through `user`'s requests, so its `applicant` is `user` itself instead of a second copy joined in."""
    found = (
        with_event_count(requests=user.license_requests.all())
        .select_related("dataset", "agreement_version")
        .get(reference=reference)
    )
    return with_latest_events(request=found, actors=False)


def active_licence_of(*, user, dataset: Dataset) -> LicenseRequest | None:
    """The user's licence for `dataset` in force now, if any (the latest-ending one)."""
    return active_licences(now=clock.now()).filter(applicant=user, dataset=dataset).order_by("-approved_at").first()


def open_draft(*, user, dataset: Dataset) -> LicenseRequest | None:
    return (
        LicenseRequest.objects.filter(applicant=user, dataset=dataset, status=LicenseRequest.Status.DRAFT)
        .order_by("-created_at")
        .first()
    )


def _participant_filter(user) -> Q:
    """Who may see a request's documents: its applicant and the dataset's reviewers (and superusers)."""
    if user.is_superuser:
        return Q()
    return Q(applicant=user) | Q(dataset__reviewers=user)


def request_for_participant(*, user, reference: str) -> LicenseRequest:
    """The request if `user` takes part in it; DoesNotExist otherwise (strangers learn nothing)."""
    if not user.is_authenticated:
        raise LicenseRequest.DoesNotExist(reference)
    found = (
        LicenseRequest.objects.filter(_participant_filter(user), reference=reference)
        .select_related("dataset", "agreement_version", "applicant")
        .distinct()
        .first()
    )
    if found is None:
        raise LicenseRequest.DoesNotExist(reference)
    return found


def active_licences(*, now) -> QuerySet[LicenseRequest]:
    """The one definition of an active licence: approved, and not past its expiry (if it has one);
    LicenseRequest.is_active for a row already read."""
    return LicenseRequest.objects.filter(status=LicenseRequest.Status.APPROVED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def _reacceptance_pending() -> Exists:
    return Exists(Reacceptance.objects.filter(request=OuterRef("pk"), accepted_at__isnull=True))


def licences_giving_access(*, now) -> QuerySet[LicenseRequest]:
    """Active licences whose holders may have the data now: none has a changed agreement still to accept.

    The delivery instructions, licence tokens and gated Hugging Face repositories all follow this one.
    """
    return active_licences(now=now).exclude(_reacceptance_pending())


def licences_awaiting_reacceptance(*, now) -> QuerySet[LicenseRequest]:
    """Active licences whose holders must accept a changed agreement before they have the data again."""
    return active_licences(now=now).filter(_reacceptance_pending())


def licence_is_active(*, request: LicenseRequest) -> bool:
    """Whether this one licence is in force, by the one definition (active_licences)."""
    return active_licences(now=clock.now()).filter(pk=request.pk).exists()


def licence_gives_access(*, request: LicenseRequest) -> bool:
    """Whether this licence's holder may have the data now (licences_giving_access)."""
    return licences_giving_access(now=clock.now()).filter(pk=request.pk).exists()


def returnable_fields(*, request: LicenseRequest) -> list[tuple[str, str]]:
    """(name, label) of what a reviewer may return for correction: the signer fields, and the purpose,
    labelled in the active language."""
    from ..agreement_format import localised

    return [(f.name, f.label) for f in localised.asked_fields(request.agreement_version)]


def returned_field_labels(*, request: LicenseRequest) -> list[str]:
    return [label for name, label in returnable_fields(request=request) if name in request.returned_fields]
