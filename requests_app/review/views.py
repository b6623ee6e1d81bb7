"""The reviewers' pages. Thin: forms validate, services decide, selectors read.

Every view here first finds the datasets the user reviews; someone who reviews none gets a 404,
whatever the URL or method, so the reviewers' side does not even admit it exists.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import clock
from ..access.conflicts import conflict_of_interest
from ..agreement_format import localised
from ..applications.selectors import returned_field_labels
from ..applications.views import agreement_panel, client_ip
from ..documents import check_text, quarantine
from ..documents.selectors import countersign_check_for_reviewer, latest_issued_agreement, latest_upload_check
from ..http import found_or_404
from ..identity.checks import request_signals
from ..models import LicenseRequest
from ..reviewing import views as reviewing_views
from ..reviewing.countersignature import asks_countersignature
from ..workflow import DecisionInvalid, TransitionNotAllowed
from .csv_export import stream_csv
from .forms import ApproveForm, CountersignedCopyForm, QueueFilterForm, ReasonForm, RemarkForm, ReturnForm
from .rows import queue_rows
from .selectors import (
    REQUEST_EXPORT_FIELDS,
    BoundedCount,
    audit_event_rows,
    declared_value_names,
    delivery_views_of,
    licence_default_expiry,
    mark_waiting,
    queue_counts,
    queue_page,
    queue_requests,
    request_export_rows,
    request_for_reviewer,
    reviewable_datasets,
    with_search_matches,
)
from .services import (
    remark_add,
    request_approve,
    request_reject,
    request_return_for_correction,
    request_revoke,
)

PAGE_SIZE = 50


def reviewer_required(view):
    """Pass the user's reviewed datasets to `view`; 404 for anyone who reviews none."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        datasets = reviewable_datasets(user=request.user)
        if not datasets:
            raise Http404("No such page.")
        request.reviewable_datasets = datasets  # the navbar need not ask again (context_processors)
        return view(request, datasets, *args, **kwargs)

    return wrapper


@reviewer_required
def queue(request, datasets):
    form = QueueFilterForm(request.GET, datasets=datasets, user=request.user)
    filters = with_search_matches(filters=form.filters())
    now = clock.now()
    counts = queue_counts(datasets=datasets, filters=filters, now=now)
    page = queue_page(
        requests=queue_requests(datasets=datasets, filters=filters, now=now),
        datasets=datasets,
        size=PAGE_SIZE,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    rows = mark_waiting(requests=page.rows, now=now)
    return render(
        request,
        "review/queue.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "counts": counts,
            "status_tabs": _status_tabs(request, form, counts),
            "matching": counts.matching(filters),
            "rows": rows,
            "rows_html": queue_rows(rows, user=request.user, show_dataset=len(datasets) > 1),
            "datasets": datasets,
            "show_dataset": len(datasets) > 1,
        },
    )


def _status_tabs(request, form, counts) -> list[tuple[str, str, BoundedCount, str]]:
    """One tab per choice of the status filter ("" is All): (value, label, count, query string of its link).

    Each link is the page's query with that status, on its first page and off the overdue filter, as
    `{% querystring status=value overdue=None after=None before=None %}` would write it: the query
    is copied once for every tab instead of once each (~0.3 ms of the page).
    """
    query = request.GET.copy()
    for key in ("overdue", "after", "before"):
        query.pop(key, None)
    tabs = []
    for value, label in form.fields["status"].choices:
        query["status"] = value
        tabs.append((value, label, counts.by_status[value] if value else counts.total, query.urlencode()))
    return tabs


def _detail(request, license_request, *, bound: dict | None = None):
    """The decision page; `bound` replaces a blank form with the one just posted, errors and all."""
    expiry = licence_default_expiry(dataset=license_request.dataset)
    panel = agreement_panel(license_request, can_upload=False, preview=True)
    conflict = conflict_of_interest(request=license_request, user=request.user)
    countersign_open = (
        license_request.status == LicenseRequest.Status.APPROVED
        and asks_countersignature(panel["issued"])
        and not conflict
    )
    # The latest countersigned upload while it is checked, or refused; no form while one is checked.
    countersign_check = latest_upload_check(request=license_request, countersigned=True) if countersign_open else None
    if countersign_check is not None and countersign_check.state == countersign_check.State.ACCEPTED:
        countersign_check = None
    countersign_checking = countersign_check is not None and countersign_check.state == countersign_check.State.CHECKING
    context = {
        "license_request": license_request,
        "approve_form": ApproveForm(
            prefix="approve",
            initial={
                "expires_on": timezone.localdate(expiry) if expiry else None,
            },
        ),
        "reject_form": ReasonForm(prefix="reject"),
        "return_form": ReturnForm(prefix="return", request=license_request),
        "revoke_form": ReasonForm(prefix="revoke"),
        "remark_form": RemarkForm(prefix="remark"),
        "returned_labels": returned_field_labels(request=license_request),
        "note_labels": localised.labels_for_notes(license_request.agreement_version),
        "conflict": conflict,
        "signals": request_signals(request=license_request),
        **panel,
        "countersign_open": countersign_open,
        "countersign_check": countersign_check,
        "countersign_form": (
            CountersignedCopyForm(prefix="countersign", issued=panel["issued"])
            if countersign_open and not countersign_checking
            else None
        ),
        **reviewing_views.detail_context(license_request),
        **(bound or {}),
    }
    return render(request, "review/request.html", context)


@reviewer_required
def request_review(request, datasets, reference):
    return _detail(request, found_or_404(request_for_reviewer, datasets=datasets, reference=reference))


@reviewer_required
def delivery_views(request, datasets, reference):
    license_request = found_or_404(request_for_reviewer, datasets=datasets, reference=reference)
    page = Paginator(delivery_views_of(request=license_request), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/delivery_views.html", {"license_request": license_request, "page": page})


@dataclass(frozen=True)
class Action:
    """One form on the decision page and the service it calls."""

    form: Callable  # (data, license_request) -> bound form with `prefix` = the action's name
    run: Callable  # (form, license_request, user, ip) -> None; raises the services' errors
    done: str


def _with_reason(prefix: str, service, done: str) -> Action:
    """Reject and revoke: a reason form, and a service that takes the reason."""
    return Action(
        form=lambda data, lr: ReasonForm(data, prefix=prefix),
        run=lambda form, lr, user, ip: service(request=lr, reviewer=user, reason=form.cleaned_data["reason"], ip=ip),
        done=done,
    )


ACTIONS = {
    "approve": Action(
        form=lambda data, lr: ApproveForm(data, prefix="approve"),
        run=lambda form, lr, user, ip: request_approve(
            request=lr, reviewer=user, expires_at=form.expires_at, note=form.cleaned_data["note"], ip=ip
        ),
        done=gettext_lazy("approved; the applicant has been emailed"),
    ),
    "reject": _with_reason(
        "reject", request_reject, gettext_lazy("rejected; the applicant has been emailed the reason")
    ),
    "return": Action(
        form=lambda data, lr: ReturnForm(data, prefix="return", request=lr),
        run=lambda form, lr, user, ip: request_return_for_correction(
            request=lr,
            reviewer=user,
            fields=form.cleaned_data["returned_fields"],
            reason=form.cleaned_data["reason"],
            ip=ip,
        ),
        done=gettext_lazy("returned for correction; the applicant has been emailed"),
    ),
    "revoke": _with_reason(
        "revoke", request_revoke, gettext_lazy("revoked; the applicant has been emailed the reason")
    ),
    "remark": Action(
        form=lambda data, lr: RemarkForm(data, prefix="remark"),
        run=lambda form, lr, user, ip: remark_add(request=lr, author=user, text=form.cleaned_data["text"]),
        done=gettext_lazy("remark added"),
    ),
}
# Approving under the two-person rule may record a recommendation instead (see services.request_approve).
ACTIONS["approve"] = replace(ACTIONS["approve"], done=reviewing_views.approval_done)
ACTIONS.update({name: Action(**fields) for name, fields in reviewing_views.ACTIONS.items()})


@reviewer_required
@require_POST
def request_act(request, datasets, reference, action):
    if action not in ACTIONS:
        raise Http404("No such action.")
    license_request = found_or_404(request_for_reviewer, datasets=datasets, reference=reference)
    form = ACTIONS[action].form(request.POST, license_request)
    if form.is_valid():
        try:
            ACTIONS[action].run(form, license_request, request.user, client_ip(request))
        except TransitionNotAllowed as error:
            # Someone else decided first: say who, what and when, and show the page as it now is.
            messages.error(request, str(error))
            return redirect("review:request", reference=reference)
        except DecisionInvalid as error:
            form.add_error(None, str(error))
        else:
            done = ACTIONS[action].done
            messages.success(request, f"{reference} {done(license_request) if callable(done) else done}.")
            return redirect("review:request", reference=reference)
    messages.error(request, _("Please correct the form below; nothing you typed was lost."))
    return _detail(request, license_request, bound={f"{action}_form": form})


@reviewer_required
@require_POST
def countersigned_copy_upload(request, datasets, reference):
    """A reviewer uploads the owner's countersigned copy of an approved licence: the executed agreement.

    Like the licensee's signed copy: quarantined, checked by a worker (documents/quarantine.py, for
    both signatures), and on acceptance recorded by reviewing.countersignature; the page shows the outcome.
    """
    license_request = found_or_404(request_for_reviewer, datasets=datasets, reference=reference)
    issued = latest_issued_agreement(request=license_request)
    if license_request.status != LicenseRequest.Status.APPROVED or not asks_countersignature(issued):
        messages.info(
            request, _("%(reference)s is not waiting for the owner's countersignature.") % {"reference": reference}
        )
        return redirect("review:request", reference=reference)
    if conflict := conflict_of_interest(request=license_request, user=request.user):
        messages.error(request, conflict)
        return redirect("review:request", reference=reference)
    form = CountersignedCopyForm(request.POST, request.FILES, prefix="countersign", issued=issued)
    if form.is_valid():
        check = quarantine.signed_copy_quarantine(
            request=license_request,
            issued=issued,
            user=request.user,
            parts=form.parts,
            ip=client_ip(request),
            countersigned=True,
        )
        quarantine.upload_check_enqueue(check)  # after the quarantine's transaction: views run outside one
        check.refresh_from_db()
        if check.state == check.State.ACCEPTED:
            messages.success(
                request,
                _("%(reference)s: countersigned copy received (%(summary)s); the licensee has been emailed.")
                % {
                    "reference": reference,
                    "summary": check.message,
                },
            )
        elif check.state == check.State.REFUSED:
            messages.error(
                request, _("The countersigned copy was not accepted: %(reason)s") % {"reason": check.message}
            )
        else:
            messages.info(
                request,
                _("Countersigned copy received. It is being checked; this page shows the result when it is ready."),
            )
        return redirect(reverse("review:request", kwargs={"reference": reference}) + "#countersign")
    messages.error(request, _("The countersigned copy was not accepted: see why below."))
    response = _detail(request, license_request, bound={"countersign_form": form})
    response.status_code = 400
    return response


@reviewer_required
def countersign_check_status(request, datasets, reference, check_id):
    """Where a countersigned copy's check stands, for the decision page to poll: {"state", "message"}."""
    check = found_or_404(countersign_check_for_reviewer, datasets=datasets, reference=reference, check_id=check_id)
    response = JsonResponse(
        {
            "state": check.state,
            "message": check_text.summary(check.message) if check.state != check.State.CHECKING else "",
        }
    )
    response["Cache-Control"] = "no-store"
    return response


# --- CSV exports: the queue's filters, streamed from plain values, each ending with its footer ------

# The CSV's header: REQUEST_EXPORT_FIELDS, the two read across a relation named as the column shows them.
REQUEST_COLUMNS = [
    {"dataset__name": "dataset", "applicant__email": "applicant_email"}.get(field, field)
    for field in REQUEST_EXPORT_FIELDS
]
EVENT_COLUMNS = ["reference", "at", "actor", "from_status", "to_status", "note", "ip", "user_agent"]


def custom_columns(datasets, filters) -> list[str]:
    """After REQUEST_COLUMNS, one column per other field the exported datasets' agreements declare."""
    chosen = [filters.dataset] if filters.dataset in datasets else datasets
    return [name for name in declared_value_names(datasets=chosen) if name not in REQUEST_COLUMNS]


def _filters(request, datasets):
    return QueueFilterForm(request.GET, datasets=datasets, user=request.user).filters()


def _filtered(request, datasets, filters=None):
    filters = filters or _filters(request, datasets)
    return queue_requests(datasets=datasets, filters=filters, now=clock.now())


@reviewer_required
def export_requests(request, datasets):
    filters = _filters(request, datasets)
    custom = custom_columns(datasets, filters)
    rows = request_export_rows(requests=_filtered(request, datasets, filters), custom=custom)
    return stream_csv("requests.csv", REQUEST_COLUMNS + custom, rows)


@reviewer_required
def export_events(request, datasets):
    return stream_csv("audit-trail.csv", EVENT_COLUMNS, audit_event_rows(requests=_filtered(request, datasets)))
