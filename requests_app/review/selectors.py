"""The reviewers' reads: the queue, its counts and search, what is overdue, the audit events."""

import datetime
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    GenericIPAddressField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Lookup

from .. import clock, search, workflow
from ..agreement_format.spec import APPLICANT_COLUMNS
from ..models import (
    AgreementVersion,
    ClauseAcceptance,
    Dataset,
    DeliveryView,
    LicenseRequest,
    RequestEvent,
    ReviewerPreference,
    ReviewerRemark,
    SignedCopy,
)

Status = LicenseRequest.Status


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
    return (
        dict(chosen)
        if chosen
        else {
            "daily_digest": ReviewerPreference._meta.get_field("daily_digest").default,
            "new_work": ReviewerPreference._meta.get_field("new_work").default,
        }
    )


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


_WHOLE_REFERENCE = re.compile(r"(?:[A-Za-z0-9]+-)+[0-9]{4}-[0-9]{6,}")  # a prefix may have hyphens


class _AnyOf(Lookup):
    """`lhs` is one of a list of ids: `lhs = ANY(%s)` on PostgreSQL, `lhs IN (SELECT value FROM
    json_each(%s))` on SQLite (the portal's other database), each list sent as one parameter.

    PostgreSQL plans an IN list of a thousand ids as a thousand constants (~5 ms, where its index
    finds them in 1); one array of the column's type is planned as one value. It is sent as the text
    of an array literal: psycopg's list dumper tests every element against a pattern (~0.7 ms for a
    thousand ids). SQLite is sent a JSON array: Django's In lookup prepares each value in Python (~3 ms
    for a thousand), and its cursor rewrites every placeholder of the statement. Both are paid by the
    counts and by the page.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps([int(pk) for pk in self.rhs])]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        literal = "{" + ",".join(str(int(pk)) for pk in self.rhs) + "}"  # int(): nothing but digits in it
        return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", [*lhs_params, literal]


def _queue_scope(datasets: list[Dataset], filters: QueueFilters) -> QuerySet[LicenseRequest]:
    """Everything the queue could show with these filters, whatever the status. Drafts stay private."""
    chosen = [filters.dataset] if filters.dataset in datasets else datasets
    requests: QuerySet[LicenseRequest]
    if filters.matched_ids is not None and not is_whole_reference(search=filters.search):
        # At most SEARCH_LISTED primary keys to look up. The dataset is compared as an expression that
        # no index serves: SQLite, which keeps no statistics unless told to, otherwise walks a dataset's
        # every request in its index (to spare a sort) and tests each against the list.
        requests = (
            LicenseRequest.objects.filter(_AnyOf(F("pk"), filters.matched_ids))
            .alias(of_dataset=F("dataset_id") + 0)
            .filter(of_dataset__in=[d.pk for d in chosen])
        )
    else:
        requests = LicenseRequest.objects.filter(dataset__in=chosen)
    requests = requests.exclude(status=Status.DRAFT)
    if filters.unassigned:
        requests = requests.filter(assignee__isnull=True)
    elif filters.assignee_id is not None:
        requests = requests.filter(assignee_id=filters.assignee_id)
    if is_whole_reference(search=filters.search):
        # A reference pasted from an email: one lookup in the unique index, not a scan.
        requests = requests.filter(reference=filters.search.upper())
    elif filters.search and filters.matched_ids is None:
        # Too many matches to list, or a term too short for the index (see with_search_matches):
        # each row is tested as the queue's order walks it, which stops at the page's last row.
        # The applicant's email is read through the row's own join (a key lookup, and only when the
        # request's text did not match already), not as a list of every matching account made first.
        requests = requests.filter(search.contains(filters.search) | Q(applicant__email__icontains=filters.search))
    return requests


def is_whole_reference(*, search: str) -> bool:
    """Whether `search` is a whole request reference ("LAGPER-2026-000017"), found by its unique index."""
    return bool(_WHOLE_REFERENCE.fullmatch(search))


SEARCH_LISTED = 2000


def with_search_matches(*, filters: QueueFilters) -> QueueFilters:
    """`filters` with the search's matches listed by id, when the index finds at most SEARCH_LISTED.

    Found once, they make the counts and the page primary-key lookups. A broader search (or one
    shorter than the index's trigrams) is instead tested row by row as the queue is walked in its
    order: when most requests match, the first page is found after reading little more than a page,
    and the counts stop at their bound (queue_counts).
    """
    if not filters.search or is_whole_reference(search=filters.search):
        return filters
    found = search.matching_ids(filters.search, limit=SEARCH_LISTED + 1)
    if found is None:
        return filters
    ids = set(found)  # a request found both ways is listed twice
    if len(ids) > SEARCH_LISTED:
        return filters
    return replace(filters, matched_ids=tuple(sorted(ids)))


def queue_requests(
    *, datasets: list[Dataset], filters: QueueFilters, now: datetime.datetime
) -> QuerySet[LicenseRequest]:
    """The queue's requests, oldest first (every request past its draft has submitted_at).

    queue_page() gives a page of them what each row shows.
    """
    requests = _queue_scope(datasets, filters)
    if filters.overdue:
        requests = requests.filter(_overdue(datasets, now))
    elif filters.status:
        requests = requests.filter(status=filters.status)
    return requests.order_by("submitted_at", "pk")


@dataclass(slots=True)
class QueueRow:
    """What a queue row shows (review/rows.py) and mark_waiting marks, read as values: not the agreement's
    values, the research purpose or the dataset's texts, and no model instance made per row (~0.7 ms of a
    page of 50)."""

    pk: int
    reference: str
    status: str
    representative_name: str
    organisation: str
    submitted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    dataset_id: int
    assignee_id: int | None
    assignee_first_name: str | None
    assignee_last_name: str | None
    assignee_email: str | None
    applicant_email: str
    check_kind: str | None  # the latest signed copy's check (with_review_flags)
    was_resubmitted: bool
    dataset: Dataset  # one of the reviewer's datasets, already read
    waiting_days: int | None = None  # mark_waiting's
    overdue: bool = False

    @property
    def assignee_name(self) -> str:
        """Who handles it, as User.get_full_name() writes a name, or by email."""
        return f"{self.assignee_first_name} {self.assignee_last_name}".strip() or self.assignee_email or ""

    def is_overdue(self, now: datetime.datetime, *, due_since: datetime.datetime | None = None) -> bool:
        return LicenseRequest.is_overdue(self, now, due_since=due_since)  # type: ignore[arg-type]  # the one definition


_QUEUE_ROW_VALUES = {
    "assignee_first_name": F("assignee__first_name"),
    "assignee_last_name": F("assignee__last_name"),
    "assignee_email": F("assignee__email"),
    "applicant_email": F("applicant__email"),
}
_QUEUE_ROW_COLUMNS = (
    "pk",
    "reference",
    "status",
    "representative_name",
    "organisation",
    "submitted_at",
    "decided_at",
    "dataset_id",
    "assignee_id",
    "check_kind",
    "was_resubmitted",
)


# Built once: annotate() resolves its own copy of each for the queryset it is given.
_LATEST_CHECK_KIND = Subquery(
    SignedCopy.objects.filter(request=OuterRef("pk"), countersigned=False)
    .order_by("-uploaded_at", "-pk")
    .values("kind")[:1]
)
_WAS_RESUBMITTED = Exists(RequestEvent.objects.filter(request=OuterRef("pk"), transition=workflow.RESUBMIT.service))


def with_review_flags(*, requests: QuerySet[LicenseRequest]) -> QuerySet[LicenseRequest]:
    """Annotate what a queue row flags: the latest signed copy's check (`check_kind`) and `was_resubmitted`."""
    return requests.annotate(check_kind=_LATEST_CHECK_KIND, was_resubmitted=_WAS_RESUBMITTED)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, found from a position in its order (keyset), never by skipping rows."""

    rows: list[QueueRow]
    previous: str | None  # the cursor of the page before ("before=" it), None on the first page
    next: str | None  # the cursor of the page after ("after=" it), None on the last page


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def licence_default_expiry(*, dataset: Dataset) -> datetime.datetime | None:
    """A licence granted now runs for the dataset's duration; None when its licences do not expire."""
    if dataset.licence_duration_days is None:
        return None
    return clock.now() + datetime.timedelta(days=dataset.licence_duration_days)


def queue_cursor(*, request: LicenseRequest | QueueRow) -> str:
    """Where `request` stands in the queue's order, for a link to the page after (or before) it."""
    assert request.submitted_at is not None  # never a draft
    return f"{(request.submitted_at - _EPOCH) // datetime.timedelta(microseconds=1)}.{request.pk}"


def _position(cursor: str | None) -> tuple[datetime.datetime, int] | None:
    """(submitted_at, pk) from a cursor; None for none or a malformed one, which means the first page."""
    micros, _, pk = (cursor or "").partition(".")
    if not (micros.isdigit() and pk.isdigit()) or len(micros) > 17 or len(pk) > 18:
        return None
    return _EPOCH + datetime.timedelta(microseconds=int(micros)), int(pk)


def _shown(requests: QuerySet[LicenseRequest], limit: int, datasets: list[Dataset]) -> list[QueueRow]:
    """The first `limit` of `requests`, in their order, with what a queue row shows (joins and flags).

    The ids are chosen first, in a subquery of the same query, and only those rows are joined and
    flagged: a database that sorts what it selects (every listed search's matches) would otherwise
    compute the flags of every match before keeping a page of them. Each row's dataset is one of
    `datasets`, the reviewer's, already read.
    """
    ids = requests.values("pk")[:limit]
    shown = with_review_flags(requests=LicenseRequest.objects.filter(pk__in=ids))
    of_id = {dataset.pk: dataset for dataset in datasets}
    rows = shown.order_by(*requests.query.order_by).values(*_QUEUE_ROW_COLUMNS, **_QUEUE_ROW_VALUES)
    return [QueueRow(**row, dataset=of_id[row["dataset_id"]]) for row in rows]


def queue_page(
    *,
    requests: QuerySet[LicenseRequest],
    datasets: list[Dataset],
    size: int,
    after: str | None = None,
    before: str | None = None,
) -> QueuePage:
    """`size` rows of `requests` (of `datasets`, ordered by submitted_at, pk) after or before a cursor.

    A range on (submitted_at, pk) that the queue's indexes start at directly, so page 200 costs what
    page 1 does. One row more than the page tells whether another page follows.
    """
    if (position := _position(before)) is not None:
        at, pk = position
        earlier = requests.filter(Q(submitted_at__lte=at) & (Q(submitted_at__lt=at) | Q(pk__lt=pk)))
        rows = _shown(earlier.order_by("-submitted_at", "-pk"), size + 1, datasets)[::-1]
        more_before = len(rows) > size
        rows = rows[1:] if more_before else rows
        return QueuePage(
            rows=rows,
            previous=queue_cursor(request=rows[0]) if more_before else None,
            next=queue_cursor(request=rows[-1]) if rows else None,
        )
    if (position := _position(after)) is not None:
        at, pk = position
        requests = requests.filter(Q(submitted_at__gte=at) & (Q(submitted_at__gt=at) | Q(pk__gt=pk)))
    rows = _shown(requests, size + 1, datasets)
    more_after = len(rows) > size
    rows = rows[:size]
    return QueuePage(
        rows=rows,
        previous=queue_cursor(request=rows[0]) if position and rows else None,
        next=queue_cursor(request=rows[-1]) if more_after else None,
    )


def dataset_reviewers(*, dataset: Dataset):
    """Whom a request of `dataset` can be assigned to: its active reviewers, by name."""
    return list(dataset.reviewers.filter(is_active=True).order_by("first_name", "last_name", "email"))


COUNT_BOUND = 2000


# Counts of a search tested row by row stop after a page of matches: each row counted is a row tested.
WALKED_COUNT_BOUND = 50


@dataclass(frozen=True)
class BoundedCount:
    """A count that stops at COUNT_BOUND: shown as "2,000+" past it, so counting never reads everything."""

    value: int
    exact: bool = True

    def __str__(self) -> str:
        return f"{self.value:,}" if self.exact else f"{self.value:,}+"

    def __add__(self, other: "BoundedCount") -> "BoundedCount":
        return BoundedCount(self.value + other.value, self.exact and other.exact)


@dataclass(frozen=True)
class QueueCounts:
    by_status: dict[str, BoundedCount]
    overdue: BoundedCount

    @property
    def total(self) -> BoundedCount:
        return sum(self.by_status.values(), BoundedCount(0))

    def matching(self, filters: QueueFilters) -> BoundedCount:
        """How many rows queue_requests() returns for `filters`, without counting again."""
        if filters.overdue:
            return self.overdue
        return self.by_status.get(filters.status, BoundedCount(0)) if filters.status else self.total


def queue_counts(*, datasets: list[Dataset], filters: QueueFilters, now: datetime.datetime) -> QueueCounts:
    """Counts per status, and overdue, under the dataset, assignee and search filters.

    Each is a COUNT over at most COUNT_BOUND + 1 rows of one range of request_dataset_queue_idx, in one
    query, so the counts cost the same at 1,000 requests or 1,000,000; past the bound they read "2,000+".
    A search whose matches are listed (at most SEARCH_LISTED), or a whole reference, is counted exactly
    in one pass over those rows; a search tested row by row, by _walked_counts.
    """
    scope = _queue_scope(datasets, filters).order_by()
    if filters.matched_ids is not None or is_whole_reference(search=filters.search):
        return _listed_counts(scope, datasets, now)
    if filters.search:
        return _walked_counts(scope, datasets, filters, now)
    statuses = [status for status in Status.values if status != Status.DRAFT]
    # Every status's count is the same SQL but for the status: compiled once, with a stand-in for it.
    per_status = _bounded_count(scope.filter(status=_STATUS_SLOT), COUNT_BOUND)
    overdue_count = _bounded_count(scope.filter(_overdue(datasets, now)), COUNT_BOUND)
    sql: list[str] = []
    params: list = []
    for status in statuses:
        sql.append(per_status[0])
        params.extend(status if param == _STATUS_SLOT else param for param in per_status[1])
    sql.append(overdue_count[0])
    params.extend(overdue_count[1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(sql), params)
        values = cursor.fetchone()
    parts = [*statuses, "overdue"]
    counts = {
        name: BoundedCount(min(n, COUNT_BOUND), exact=n <= COUNT_BOUND) for name, n in zip(parts, values, strict=True)
    }
    overdue = counts.pop("overdue")
    return QueueCounts(by_status=counts, overdue=overdue)


def _walked_counts(
    scope: QuerySet[LicenseRequest], datasets: list[Dataset], filters: QueueFilters, now: datetime.datetime
) -> QueueCounts:
    """The counts of a search tested row by row: each row counted is a row tested, so they stop early.

    One walk of the queue's order reads the first WALKED_COUNT_BOUND + 1 matches of any status, as the
    page's own walk does: every tab counts its share of them, exact when the walk reached the end and
    a lower bound ("12+") when it stopped. The tab shown, when it is one status or the overdue, is walked
    on its own too, so that it says "50+" beside the page of 50 it lists, as an unfiltered search does.
    """
    first = list(
        scope.order_by("submitted_at", "pk")
        .annotate(late=ExpressionWrapper(_overdue(datasets, now), output_field=BooleanField()))
        .values_list("status", "late")[: WALKED_COUNT_BOUND + 1]
    )
    exact = len(first) <= WALKED_COUNT_BOUND
    first = first[:WALKED_COUNT_BOUND]
    by_status = {
        status: BoundedCount(sum(found == status for found, _ in first), exact)
        for status in Status.values
        if status != Status.DRAFT
    }
    overdue = BoundedCount(sum(late for _, late in first), exact)
    if not exact and (filters.overdue or filters.status):
        shown = queue_requests(datasets=datasets, filters=filters, now=now).values("pk")[: WALKED_COUNT_BOUND + 1]
        n = shown.count()
        count = BoundedCount(min(n, WALKED_COUNT_BOUND), exact=n <= WALKED_COUNT_BOUND)
        if filters.overdue:
            overdue = count
        else:
            by_status.update({filters.status: count})
    return QueueCounts(by_status=by_status, overdue=overdue)


_STATUS_SLOT = "\x00status"  # no status is spelt so: it stands for each one in turn (queue_counts)


def _bounded_count(part: QuerySet[LicenseRequest], bound: int) -> tuple[str, list]:
    """SQL (and its parameters) that counts `part`'s rows up to bound + 1, reading no more of them."""
    try:
        inner, params = part.values("pk")[: bound + 1].query.sql_with_params()
    except EmptyResultSet:  # e.g. a search that matched nothing: nothing to read
        return "0", []
    return f"(SELECT COUNT(*) FROM ({inner}) AS bounded)", list(params)


def _listed_counts(scope: QuerySet[LicenseRequest], datasets: list[Dataset], now: datetime.datetime) -> QueueCounts:
    """Exact counts of a scope of few rows (the listed matches of a search): one GROUP BY over them."""
    found = {
        row["status"]: row
        for row in scope.values("status").annotate(n=Count("pk"), overdue=Count("pk", filter=_overdue(datasets, now)))
    }
    return QueueCounts(
        by_status={
            status: BoundedCount(found[status]["n"] if status in found else 0)
            for status in Status.values
            if status != Status.DRAFT
        },
        overdue=BoundedCount(sum(row["overdue"] for row in found.values())),
    )


# A page shows a request's latest events and delivery views, however many there are, and says how many.
HISTORY_SHOWN = 50


DELIVERY_VIEWS_SHOWN = 10


def _count_of(model, **match) -> Subquery:
    counted = model.objects.filter(**match).order_by().values(*match).annotate(n=Count("*")).values("n")
    return Subquery(counted, output_field=IntegerField())


def with_event_count(*, requests: QuerySet[LicenseRequest]) -> QuerySet[LicenseRequest]:
    """Annotate `event_count`, how many events each request has (with_latest_events shows the latest)."""
    return requests.annotate(event_count=Coalesce(_count_of(RequestEvent, request=OuterRef("pk")), 0))


def with_latest_events(*, request: LicenseRequest, actors: bool = True) -> LicenseRequest:
    """`request` given `latest_events`, its last HISTORY_SHOWN events newest first: one plain query
    for one request's page, however long its history. With `actors`, each event's actor is read in it too
    (a reviewer's page shows who acted; the applicant's never does)."""
    events = request.events.order_by("-at", "-pk")
    # An attribute for the page, as a prefetch's to_attr would give it.
    request.latest_events = list((events.select_related("actor") if actors else events)[:HISTORY_SHOWN])  # type: ignore[attr-defined]
    return request


def request_for_reviewer(*, datasets: list[Dataset], reference: str) -> LicenseRequest:
    """A submitted request of one of `datasets` (the reviewer's), with all the decision page shows.

    Its lists that grow without bound come bounded: `latest_events` (with `event_count`) and
    `latest_delivery_views`, the last DELIVERY_VIEWS_SHOWN, newest first (with `delivery_view_count`).
    """
    latest_views = DeliveryView.objects.select_related("user").order_by("-at", "-pk")[:DELIVERY_VIEWS_SHOWN]
    found = (
        with_event_count(requests=LicenseRequest.objects.all())
        .select_related("dataset", "agreement_version", "applicant")
        .prefetch_related(
            Prefetch(
                "clause_acceptances",
                queryset=ClauseAcceptance.objects.select_related("agreement_version"),
            ),
            Prefetch("remarks", queryset=ReviewerRemark.objects.select_related("author")),
            Prefetch("delivery_views", queryset=latest_views, to_attr="latest_delivery_views"),
        )
        .annotate(delivery_view_count=Coalesce(_count_of(DeliveryView, request=OuterRef("pk")), 0))
        .exclude(status=Status.DRAFT)
        .get(reference=reference, dataset__in=datasets)
    )
    return with_latest_events(request=found)


def delivery_views_of(*, request: LicenseRequest) -> QuerySet[DeliveryView]:
    """Every time the request's delivery instructions were shown, newest first."""
    return request.delivery_views.select_related("user").order_by("-at", "-pk")


def audit_events(*, requests: QuerySet[LicenseRequest]) -> QuerySet[RequestEvent]:
    """The audit trail of `requests`, in the order it happened."""
    return (
        RequestEvent.objects.filter(request__in=requests.values("pk"))
        .select_related("request", "actor")
        .order_by("at", "pk")
    )


# The exports read plain values, not model objects: three objects per row made them ~8× slower.
REQUEST_EXPORT_FIELDS = (
    "reference",
    "dataset__name",
    "status",
    "applicant__email",
    *APPLICANT_COLUMNS,
    "submitted_at",
    "decided_at",
    "decision_reason",
    "returned_fields",
    "approved_at",
    "expires_at",
)


_RETURNED_FIELDS = REQUEST_EXPORT_FIELDS.index("returned_fields")
# The two JSON documents are read as their text and decoded here, only when there is something in them:
# JSONField's decoding, run on every row, took a third of a request export's time.
_AS_TEXT = {
    "returned_fields_text": Cast("returned_fields", TextField()),
    "values_text": Cast("values", TextField()),
}


def _returned_fields_cell(text: str | None) -> str:
    """The fields a reviewer returned for correction, space-separated."""
    return " ".join(json.loads(text)) if text and text != "[]" else ""


def _value_cells(text: str | None, custom: list[str]) -> list:
    """The request's values under the `custom` names: blank where its agreement did not ask, a tick box as yes/no."""
    values = json.loads(text) if text and text != "{}" else {}
    cells = [values.get(name, "") for name in custom]
    return ["yes" if cell is True else "no" if cell is False else cell for cell in cells]


def request_export_rows(*, requests: QuerySet[LicenseRequest], custom: list[str]) -> Iterator[list]:
    """Each of `requests`, in its order, as REQUEST_EXPORT_FIELDS' values (the returned fields space-separated),
    then its `values` under the `custom` names: blank where its agreement did not ask, a tick box as yes/no."""
    fields = [name if name != "returned_fields" else "returned_fields_text" for name in REQUEST_EXPORT_FIELDS]
    for row in requests.annotate(**_AS_TEXT).values_list(*fields, "values_text").iterator(chunk_size=2000):
        *row, values = row
        row[_RETURNED_FIELDS] = _returned_fields_cell(row[_RETURNED_FIELDS])
        yield row + _value_cells(values, custom)


def audit_event_rows(*, requests: QuerySet[LicenseRequest]) -> Iterator[tuple]:
    """The audit trail of `requests` as (reference, at, actor's email, from, to, note, ip, user agent) values,
    in order.

    The note of a request whose personal data was removed reads "[removed]", its IP address and user
    agent nothing, as on its page (the append-only events keep them; they are no longer shown).
    """
    removed = Q(request__personal_data_removed_at__isnull=False)
    note = Case(When(removed, then=Value("[removed]")), default=F("note"), output_field=TextField())
    ip = Case(When(removed, then=Value(None)), default=F("ip"), output_field=GenericIPAddressField())
    user_agent = Case(
        When(removed, then=Value("")), default=Coalesce("user_agent", Value("")), output_field=TextField()
    )
    return (
        audit_events(requests=requests)
        .annotate(export_note=note, export_ip=ip, export_user_agent=user_agent)
        .values_list(
            "request__reference",
            "at",
            "actor__email",
            "from_status",
            "to_status",
            "export_note",
            "export_ip",
            "export_user_agent",
        )
        .iterator(chunk_size=2000)
    )


WAITING_STATUSES = frozenset({Status.AWAITING_SIGNATURE, Status.UNDER_REVIEW, Status.RETURNED})


def mark_waiting(*, requests, now: datetime.datetime) -> list[QueueRow] | list[LicenseRequest]:
    """Give each request `waiting_days` (None once decided) and `overdue`, as the queue shows them."""
    requests = list(requests)
    due_since: dict[int, datetime.datetime] = {}  # the working days counted once a dataset, not once a row
    for request in requests:
        pending = request.submitted_at is not None and request.status in WAITING_STATUSES
        request.waiting_days = (now - request.submitted_at).days if pending else None
        if request.dataset_id not in due_since:
            due_since[request.dataset_id] = request.dataset.review_due_since(now)
        request.overdue = request.is_overdue(now, due_since=due_since[request.dataset_id])
    return requests


def declared_value_names(*, datasets: list[Dataset]) -> list[str]:
    """Every value name the datasets' agreement versions declare, once each: each dataset's, oldest
    version first, in each file's order (romanised companions and the research purpose included)."""
    from ..agreement_format import spec

    names: dict[str, None] = {}
    versions = AgreementVersion.objects.filter(dataset__in=datasets).order_by("dataset__slug", "published_at", "pk")
    for version in versions:
        names.update((name, None) for name, _label in spec.value_names(version))
    return list(names)
