"""The decision page's part in a reviewer's day: claim, assign, canned reasons, corrected fields.

Plugged into review/views.py's table of actions: each is a form and the service it calls.
"""

from django import forms
from django.utils.translation import gettext, gettext_lazy

from .. import clock
from ..applications.selectors import returnable_fields
from ..models import LicenseRequest
from ..review.selectors import dataset_reviewers
from . import renewals, services
from .forms import AssignForm, ExtendForm, RefuseRenewalForm

Status = LicenseRequest.Status


def _action(form, run, done) -> dict:
    return {"form": form, "run": run, "done": done}  # a review.views.Action's fields


def approval_done(license_request: LicenseRequest) -> str:
    if license_request.status == Status.UNDER_REVIEW:
        return gettext("approval recommended; a second reviewer must approve it")
    return gettext("approved; the applicant has been emailed")


def _assign_form(data, license_request):
    return AssignForm(data, prefix="assign", reviewers=dataset_reviewers(dataset=license_request.dataset))


def detail_context(license_request: LicenseRequest) -> dict:
    """What the decision page adds: who handles it, whom it can go to, canned reasons, corrected fields."""
    corrected = set(license_request.corrected_fields or [])
    reasons = license_request.dataset.canned_reasons or []
    renewal = renewals.pending_renewal(license_request) if license_request.status == Status.APPROVED else None
    until = renewals.next_expiry(license_request) if license_request.status == Status.APPROVED else None
    return {
        "pending_renewal": renewal,
        "renewal_changes": renewals.renewal_changes(license_request, renewal) if renewal else [],
        "extend_form": ExtendForm(prefix="extend", initial={"until": clock.local_date(until) if until else None}),
        "refuse_renewal_form": RefuseRenewalForm(prefix="refuse_renewal"),
        "assign_form": _assign_form(None, license_request),
        "corrected_labels": [label for name, label in returnable_fields(request=license_request) if name in corrected],
        "canned_reasons": {
            use: [reason for reason in reasons if reason.get("use") == use] for use in ("return", "reject")
        },
    }


ACTIONS = {
    "claim": _action(
        form=lambda data, lr: forms.Form(data, prefix="claim"),
        run=lambda form, lr, user, ip: services.request_claim(request=lr, reviewer=user, ip=ip),
        done=gettext_lazy("is yours to handle"),
    ),
    "extend": _action(
        form=lambda data, lr: ExtendForm(data, prefix="extend"),
        run=lambda form, lr, user, ip: renewals.licence_extend(
            request=lr, reviewer=user, until=form.extended_to, ip=ip
        ),
        done=gettext_lazy("extended; the licensee has been emailed"),
    ),
    "refuse_renewal": _action(
        form=lambda data, lr: RefuseRenewalForm(data, prefix="refuse_renewal"),
        run=lambda form, lr, user, ip: renewals.renewal_refuse(
            request=lr, reviewer=user, reason=form.cleaned_data["reason"], ip=ip
        ),
        done=gettext_lazy("renewal refused; the licensee has been emailed the reason"),
    ),
    "assign": _action(
        form=_assign_form,
        run=lambda form, lr, user, ip: services.request_assign(request=lr, reviewer=user, assignee=form.chosen, ip=ip),
        done=gettext_lazy("assigned"),
    ),
}
