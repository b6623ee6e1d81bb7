"""Reads, with the joins each page needs decided in one place."""

import datetime
import re
from dataclasses import dataclass, replace

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Lower

from . import clock, workflow
from .models import (
    ClauseAcceptance,
    Dataset,
    DeliveryView,
    IssuedAgreement,
    LicenseRequest,
    Publication,
    Reacceptance,
    RequestEvent,
    ReviewerPreference,
    ReviewerRemark,
    SignedCopy,
    SignedCopyFile,
)


def datasets_for_listing() -> QuerySet[Dataset]:
    return Dataset.objects.all()


def requests_of_applicant(*, user) -> QuerySet[LicenseRequest]:
    return (
        LicenseRequest.objects.filter(applicant=user)
        .select_related("dataset")
        # A licence whose changed agreement is still to accept says so in the list.
        .annotate(reacceptance_needed=Exists(
            Reacceptance.objects.filter(request=OuterRef("pk"), accepted_at__isnull=True)
        ))
        .order_by("-created_at")
    )


def request_for_applicant(*, user, reference: str) -> LicenseRequest:
    """The applicant's own request; DoesNotExist for anyone else's, so a stranger learns nothing."""
    return (
        LicenseRequest.objects.select_related("dataset", "agreement_version", "applicant")
        .prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.select_related("actor")),
        )
        .get(reference=reference, applicant=user)
    )


def active_licence_of(*, user, dataset: Dataset) -> LicenseRequest | None:
    """The user's licence for `dataset` in force now, if any (the latest-ending one)."""
    return active_licences(now=clock.now()).filter(applicant=user, dataset=dataset).order_by("-approved_at").first()


def open_draft(*, user, dataset: Dataset) -> LicenseRequest | None:
    return (
        LicenseRequest.objects.filter(applicant=user, dataset=dataset, status=LicenseRequest.Status.DRAFT)
        .order_by("-created_at")
        .first()
    )


# --- The issued agreement and signed copies (issue 4) ---------------------------------------------


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


def latest_issued_agreement(*, request: LicenseRequest, with_pdf: bool = False) -> IssuedAgreement | None:
    issues = request.issued_agreements.order_by("-issue")
    return (issues if with_pdf else issues.defer("pdf")).first()


def signed_copies_of(*, request: LicenseRequest) -> QuerySet[SignedCopy]:
    """Every upload for the request, newest first, with its files and the issue it was checked against."""
    return (
        request.signed_copies.select_related("issued_agreement", "uploaded_by")
        .defer("issued_agreement__pdf")
        .prefetch_related("files")
        .order_by("-uploaded_at", "-pk")
    )


@dataclass(frozen=True)
class AgreementDocuments:
    """The latest issued agreement (without its bytes) and every signed copy, newest first."""

    issued: IssuedAgreement | None
    signed_copies: list[SignedCopy]


def agreement_documents(*, request: LicenseRequest) -> AgreementDocuments:
    return AgreementDocuments(issued=latest_issued_agreement(request=request), signed_copies=list(signed_copies_of(request=request)))


def signed_copy_file_for_participant(*, user, reference: str, file_id: int) -> SignedCopyFile:
    request = request_for_participant(user=user, reference=reference)
    return SignedCopyFile.objects.get(pk=file_id, signed_copy__request=request)


def issued_agreement_numbered(*, request: LicenseRequest, issue: int) -> IssuedAgreement | None:
    """Issue number `issue` of the request's agreement (without its bytes), if there is one."""
    return request.issued_agreements.defer("pdf").filter(issue=issue).first()


def request_for_verification(*, token: str) -> LicenseRequest:
    return LicenseRequest.objects.select_related("dataset").exclude(status=LicenseRequest.Status.DRAFT).get(token=token)
# --- Reminders and publications ------------------------------------------------------------------


def active_licences(*, now) -> QuerySet[LicenseRequest]:
    """The one definition of an active licence: approved, and not past its expiry (if it has one)."""
    return LicenseRequest.objects.filter(status=LicenseRequest.Status.APPROVED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def with_status_since(*, queryset: QuerySet[LicenseRequest]) -> QuerySet[LicenseRequest]:
    """Annotate `status_since`: when each request entered the status it is in now (its last event)."""
    entered = RequestEvent.objects.filter(request=OuterRef("pk"), to_status=OuterRef("status")).exclude(
        transition__in=workflow.BOOKKEEPING  # a claim is not a new wait
    )
    return queryset.annotate(status_since=Subquery(entered.order_by("-at", "-pk").values("at")[:1]))


def overdue_for_review(*, now, datasets) -> QuerySet[LicenseRequest]:
    """Requests waiting longer than their dataset's promised turnaround (see `_overdue`), oldest first."""
    return (
        LicenseRequest.objects.filter(_overdue(list(datasets), now))
        .select_related("dataset")
        .order_by("submitted_at", "pk")
    )


def publications_of_dataset(*, dataset: Dataset, licence: str | None = None) -> QuerySet["Publication"]:
    publications = Publication.objects.filter(request__dataset=dataset).select_related("request")
    if licence:
        publications = publications.filter(request__reference=licence)
    return publications.order_by("request__reference", "-year", "-reported_at")


def is_reviewer(*, user) -> bool:
    """Whether `user` gets the reviewers' side: a superuser, or a reviewer of some dataset."""
    return user.is_authenticated and (user.is_superuser or user.reviewed_datasets.exists())


def _datasets_reviewed_by(user) -> QuerySet[Dataset]:
    """The datasets `user` reviews; a superuser reviews them all."""
    return Dataset.objects.all() if user.is_superuser else user.reviewed_datasets.all()


def daily_digest_on(*, user) -> bool:
    """The reviewer's digest choice; with none saved, the model's default."""
    chosen = ReviewerPreference.objects.filter(user=user).values_list("daily_digest", flat=True).first()
    return ReviewerPreference._meta.get_field("daily_digest").default if chosen is None else chosen


def reviewed_dataset(*, user, slug: str) -> Dataset:
    """A dataset `user` reviews (any, for a superuser); DoesNotExist for others."""
    return _datasets_reviewed_by(user).get(slug=slug)


def email_preferences(*, user) -> dict:
    """The reviewer's email choices ({daily_digest, new_work}); with none saved, the model's defaults."""
    chosen = ReviewerPreference.objects.filter(user=user).values("daily_digest", "new_work").first()
    return dict(chosen) if chosen else {
        "daily_digest": ReviewerPreference._meta.get_field("daily_digest").default,
        "new_work": ReviewerPreference._meta.get_field("new_work").default,
    }






# --- Review: the reviewers' queue and decision page -------------------------------------------------

Status = LicenseRequest.Status


def licence_is_active(*, request: LicenseRequest) -> bool:
    """Whether this one licence is in force, by the one definition (active_licences)."""
    return active_licences(now=clock.now()).filter(pk=request.pk).exists()


def returnable_fields(*, request: LicenseRequest) -> list[tuple[str, str]]:
    """(name, label) of what a reviewer may return for correction: the signer fields, and the purpose."""
    return [(spec["name"], spec["label"]) for spec in request.application_fields()]


def returned_field_labels(*, request: LicenseRequest) -> list[str]:
    return [label for name, label in returnable_fields(request=request) if name in request.returned_fields]


def reviewable_datasets(*, user) -> list[Dataset]:
    """The datasets `user` reviews (all of them for a superuser); empty for everyone else."""
    if not user.is_authenticated:
        return []
    return list(_datasets_reviewed_by(user).order_by("name"))


@dataclass(frozen=True)
class QueueFilters:
    """What the reviewer asked the queue for. `status` "" means every status except draft."""

    status: str = Status.UNDER_REVIEW
    dataset: Dataset | None = None
    overdue: bool = False
    search: str = ""
    # The ids the search matches, when with_search_matches() found few enough to list.
    matched_ids: tuple[int, ...] | None = None
    # Who handles them: one reviewer's ("mine"), or nobody's yet.
    assignee_id: int | None = None
    unassigned: bool = False


def _overdue(datasets: list[Dataset], now: datetime.datetime) -> Q:
    """The one definition of overdue, as SQL: LicenseRequest.is_overdue for every row at once.

    One term per dataset keeps it a plain range on the indexed submitted_at, at any size.
    """
    waiting_too_long = Q(pk__in=[])
    for dataset in datasets:
        waiting_too_long |= Q(dataset=dataset, submitted_at__lt=dataset.review_due_since(now))
    return Q(status=Status.UNDER_REVIEW) & waiting_too_long


_WHOLE_REFERENCE = re.compile(r"[A-Za-z0-9]+-[0-9]{4}-[0-9]{6,}")


def _queue_scope(datasets: list[Dataset], filters: QueueFilters) -> QuerySet[LicenseRequest]:
    """Everything the queue could show with these filters, whatever the status. Drafts stay private."""
    chosen = [filters.dataset] if filters.dataset in datasets else datasets
    requests = LicenseRequest.objects.filter(dataset__in=chosen).exclude(status=Status.DRAFT)
    if filters.unassigned:
        requests = requests.filter(assignee__isnull=True)
    elif filters.assignee_id is not None:
        requests = requests.filter(assignee_id=filters.assignee_id)
    if _is_whole_reference(filters.search):
        # A reference pasted from an email: one lookup in the unique index, not a scan.
        requests = requests.filter(reference=filters.search.upper())
    elif filters.matched_ids is not None:
        requests = requests.filter(pk__in=filters.matched_ids)
    elif filters.search:
        # Too many matches to list (see with_search_matches).
        in_request, of_applicant = _search_conditions(filters.search)
        requests = requests.filter(in_request | of_applicant)
    return requests


def _is_whole_reference(search: str) -> bool:
    return bool(_WHOLE_REFERENCE.fullmatch(search))


def _search_conditions(term: str) -> tuple[Q, Q]:
    """Each way a request matches `term`: its reference, name, organisation or email, or its applicant's email.

    The request's own fields are one lower-cased column (LicenseRequest.search_text); the database
    lower-cases the term the same way (on SQLite, like its LIKE, ASCII letters only), once per query.
    The account's email lives with the user: the matching users are found once, in a subquery.
    """
    applicants = get_user_model().objects.filter(email__icontains=term).values("pk")
    return Q(search_text__contains=Lower(Value(term))), Q(applicant__in=applicants)


SEARCH_LISTED = 2000


def with_search_matches(*, filters: QueueFilters) -> QueueFilters:
    """`filters` with the search's matches listed by id, when there are at most SEARCH_LISTED.

    Found once, they make the counts and the page primary-key lookups. Otherwise each of those
    queries searches again, reading every request (SQLite has no index for it; PostgreSQL does not
    use its trigram index under the OR with the applicants' emails). So only a broader search pays
    that: its page stops at the 50th match, but its counts read every request. Past a few thousand
    ids, the list costs PostgreSQL more than that pass.
    """
    if not filters.search or _is_whole_reference(filters.search):
        return filters
    # A UNION, not an OR, so each condition uses its own index; ALL, so that the LIMIT stops early
    # (an id found twice changes nothing).
    in_request, of_applicant = (
        LicenseRequest.objects.filter(condition).order_by().values_list("pk", flat=True)
        for condition in _search_conditions(filters.search)
    )
    ids = list(in_request.union(of_applicant, all=True)[: SEARCH_LISTED + 1])
    if len(ids) > SEARCH_LISTED:
        return filters
    return replace(filters, matched_ids=tuple(ids))


def queue_requests(
    *,
    datasets: list[Dataset], filters: QueueFilters, now: datetime.datetime
) -> QuerySet[LicenseRequest]:
    """The queue, oldest first, with what each row shows joined in."""
    requests = _queue_scope(datasets, filters)
    if filters.overdue:
        requests = requests.filter(_overdue(datasets, now))
    elif filters.status:
        requests = requests.filter(status=filters.status)
    return with_review_flags(requests=requests.select_related("dataset", "applicant", "assignee")).order_by("submitted_at", "pk")


def with_review_flags(*, requests: QuerySet[LicenseRequest]) -> QuerySet[LicenseRequest]:
    """Annotate what a queue row flags: the latest signed copy's check (`check_kind`) and `was_resubmitted`."""
    latest_copy = SignedCopy.objects.filter(request=OuterRef("pk")).order_by("-uploaded_at", "-pk")
    return requests.annotate(
        check_kind=Subquery(latest_copy.values("kind")[:1]),
        was_resubmitted=Exists(RequestEvent.objects.filter(request=OuterRef("pk"), transition=workflow.RESUBMIT.service)),
    )


def dataset_reviewers(*, dataset: Dataset):
    """Whom a request of `dataset` can be assigned to: its active reviewers, by name."""
    return list(dataset.reviewers.filter(is_active=True).order_by("first_name", "last_name", "email"))


@dataclass(frozen=True)
class QueueCounts:
    by_status: dict[str, int]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def matching(self, filters: QueueFilters) -> int:
        """How many rows queue_requests() returns for `filters`, without counting again."""
        if filters.overdue:
            return self.overdue
        return self.by_status.get(filters.status, 0) if filters.status else self.total


def queue_counts(*, datasets: list[Dataset], filters: QueueFilters, now: datetime.datetime) -> QueueCounts:
    """Counts per status, and overdue, under the dataset and search filters, in one query.

    Unfiltered, COUNT(*) grouped by status reads only request_status_count_idx, and overdue is an
    uncorrelated subquery (computed once) over a range of request_dataset_queue_idx. A search
    reads every row anyway, so it counts overdue in the same pass instead of a second one.
    """
    scope = _queue_scope(datasets, filters).order_by()
    overdue: Count | Subquery
    if filters.search:
        overdue = Count("submitted_at", filter=_overdue(datasets, now))
    else:
        overdue = Subquery(
            scope.filter(_overdue(datasets, now))
            .annotate(n=Func(F("submitted_at"), function="COUNT", output_field=IntegerField()))
            .values("n")
        )
    rows = list(scope.values("status").annotate(n=Count("*"), overdue=overdue))
    # Overdue requests are all under review: either way, the largest figure is the overdue count.
    return QueueCounts(
        by_status={row["status"]: row["n"] for row in rows},
        overdue=max((row["overdue"] for row in rows), default=0),
    )


def request_for_reviewer(*, datasets: list[Dataset], reference: str) -> LicenseRequest:
    """A submitted request of one of `datasets` (the reviewer's), with all the decision page shows."""
    return (
            LicenseRequest.objects.select_related("dataset", "agreement_version", "applicant")
            .prefetch_related(
                Prefetch("events", queryset=RequestEvent.objects.select_related("actor")),
                Prefetch(
                    "clause_acceptances",
                    queryset=ClauseAcceptance.objects.select_related("agreement_version"),
                ),
                Prefetch("remarks", queryset=ReviewerRemark.objects.select_related("author")),
                Prefetch("delivery_views", queryset=DeliveryView.objects.select_related("user")),
            )
            .exclude(status=Status.DRAFT)
            .get(reference=reference, dataset__in=datasets)
        )


def audit_events(*, requests: QuerySet[LicenseRequest]) -> QuerySet[RequestEvent]:
    """The audit trail of `requests`, in the order it happened."""
    return (
        RequestEvent.objects.filter(request__in=requests.values("pk"))
        .select_related("request", "actor")
        .order_by("at", "pk")
    )


WAITING_STATUSES = frozenset({Status.AWAITING_SIGNATURE, Status.UNDER_REVIEW, Status.RETURNED})


def mark_waiting(*, requests, now: datetime.datetime) -> list[LicenseRequest]:
    """Give each request `waiting_days` (None once decided) and `overdue`, as the queue shows them."""
    requests = list(requests)
    for request in requests:
        pending = request.submitted_at is not None and request.status in WAITING_STATUSES
        request.waiting_days = (now - request.submitted_at).days if pending else None
        request.overdue = request.is_overdue(now)
    return requests
