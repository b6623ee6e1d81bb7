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
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import clock, selectors, services
from ..access.conflicts import conflict_of_interest
from ..csv_export import stream_csv
from ..http import found_or_404
from ..identity.checks import request_signals
from ..reviewing import views as reviewing_views
from ..views import agreement_panel, client_ip
from .forms import ApproveForm, QueueFilterForm, ReasonForm, RemarkForm, ReturnForm

PAGE_SIZE = 50


def reviewer_required(view):
    """Pass the user's reviewed datasets to `view`; 404 for anyone who reviews none."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        datasets = selectors.reviewable_datasets(user=request.user)
        if not datasets:
            raise Http404("No such page.")
        request.reviewable_datasets = datasets  # the navbar need not ask again (context_processors)
        return view(request, datasets, *args, **kwargs)

    return wrapper


@reviewer_required
def queue(request, datasets):
    form = QueueFilterForm(request.GET, datasets=datasets, user=request.user)
    filters = selectors.with_search_matches(filters=form.filters())
    now = clock.now()
    counts = selectors.queue_counts(datasets=datasets, filters=filters, now=now)
    paginator = Paginator(selectors.queue_requests(datasets=datasets, filters=filters, now=now), PAGE_SIZE)
    # The aggregate above already knows how many rows match: spare the paginator its own COUNT(*).
    paginator.count = counts.matching(filters)
    page = paginator.get_page(request.GET.get("page"))
    # One tab per choice of the status filter ("" is All).
    status_tabs = [
        (value, label, counts.by_status.get(value, 0) if value else counts.total)
        for value, label in form.fields["status"].choices
    ]
    return render(request, "review/queue.html", {
        "form": form, "filters": filters, "page": page, "counts": counts, "status_tabs": status_tabs,
        "rows": selectors.mark_waiting(requests=page.object_list, now=now),
        "datasets": datasets, "show_dataset": len(datasets) > 1,
    })


def _detail(request, license_request, *, bound: dict | None = None):
    """The decision page; `bound` replaces a blank form with the one just posted, errors and all."""
    expiry = services.default_expiry(license_request.dataset)
    context = {
        "license_request": license_request,
        "approve_form": ApproveForm(prefix="approve", initial={
            "expires_on": timezone.localdate(expiry) if expiry else None,
        }),
        "reject_form": ReasonForm(prefix="reject"),
        "return_form": ReturnForm(prefix="return", request=license_request),
        "revoke_form": ReasonForm(prefix="revoke"),
        "remark_form": RemarkForm(prefix="remark"),
        "returned_labels": selectors.returned_field_labels(request=license_request),
        "conflict": conflict_of_interest(request=license_request, user=request.user),
        "signals": request_signals(request=license_request),
        **agreement_panel(license_request, can_upload=False, preview=True),
        **reviewing_views.detail_context(license_request),
        **(bound or {}),
    }
    return render(request, "review/request.html", context)


@reviewer_required
def request_review(request, datasets, reference):
    return _detail(request, found_or_404(selectors.request_for_reviewer, datasets=datasets, reference=reference))


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
        run=lambda form, lr, user, ip: services.request_approve(
            request=lr, reviewer=user, expires_at=form.expires_at, note=form.cleaned_data["note"], ip=ip
        ),
        done=gettext_lazy("approved; the applicant has been emailed"),
    ),
    "reject": _with_reason("reject", services.request_reject, gettext_lazy("rejected; the applicant has been emailed the reason")),
    "return": Action(
        form=lambda data, lr: ReturnForm(data, prefix="return", request=lr),
        run=lambda form, lr, user, ip: services.request_return_for_correction(
            request=lr, reviewer=user, fields=form.cleaned_data["returned_fields"],
            reason=form.cleaned_data["reason"], ip=ip,
        ),
        done=gettext_lazy("returned for correction; the applicant has been emailed"),
    ),
    "revoke": _with_reason("revoke", services.request_revoke, gettext_lazy("revoked; the applicant has been emailed the reason")),
    "remark": Action(
        form=lambda data, lr: RemarkForm(data, prefix="remark"),
        run=lambda form, lr, user, ip: services.remark_add(request=lr, author=user, text=form.cleaned_data["text"]),
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
    license_request = found_or_404(selectors.request_for_reviewer, datasets=datasets, reference=reference)
    form = ACTIONS[action].form(request.POST, license_request)
    if form.is_valid():
        try:
            ACTIONS[action].run(form, license_request, request.user, client_ip(request))
        except services.TransitionNotAllowed as error:
            # Someone else decided first: say who, what and when, and show the page as it now is.
            messages.error(request, str(error))
            return redirect("review:request", reference=reference)
        except services.DecisionInvalid as error:
            form.add_error(None, str(error))
        else:
            done = ACTIONS[action].done
            messages.success(request, f"{reference} {done(license_request) if callable(done) else done}.")
            return redirect("review:request", reference=reference)
    messages.error(request, _("Please correct the form below; nothing you typed was lost."))
    return _detail(request, license_request, bound={f"{action}_form": form})


# --- CSV exports: the queue's filters, streamed so 100,000 rows never sit in memory -------------------

REQUEST_COLUMNS = [
    "reference", "dataset", "status", "applicant_email", "representative_name", "representative_title",
    "organisation", "unit", "address", "email", "phone", "signing_date", "research_purpose",
    "submitted_at", "decided_at", "decision_reason", "returned_fields", "approved_at", "expires_at",
]
EVENT_COLUMNS = ["reference", "at", "actor", "from_status", "to_status", "note", "ip"]


def _filtered(request, datasets):
    filters = QueueFilterForm(request.GET, datasets=datasets, user=request.user).filters()
    return selectors.queue_requests(datasets=datasets, filters=filters, now=clock.now())


@reviewer_required
def export_requests(request, datasets):
    rows = (
        [
            r.reference, r.dataset.name, r.status, r.applicant.email, r.representative_name,
            r.representative_title, r.organisation, r.unit, r.address, r.email, r.phone, r.signing_date,
            r.research_purpose, r.submitted_at, r.decided_at, r.decision_reason, " ".join(r.returned_fields),
            r.approved_at, r.expires_at,
        ]
        for r in _filtered(request, datasets).iterator(chunk_size=2000)
    )
    return stream_csv("requests.csv", REQUEST_COLUMNS, rows)


@reviewer_required
def export_events(request, datasets):
    rows = (
        [
            e.request.reference, e.at, e.actor.email if e.actor else "", e.from_status, e.to_status,
            "[removed]" if e.request.personal_data_removed_at else e.note, e.ip,
        ]
        for e in selectors.audit_events(requests=_filtered(request, datasets)).iterator(chunk_size=2000)
    )
    return stream_csv("audit-trail.csv", EVENT_COLUMNS, rows)
