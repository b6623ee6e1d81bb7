"""The reviewers' forms. They validate input; the services decide (and check again)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import clock
from ..applications.forms import SignedCopyForm
from ..applications.selectors import returnable_fields
from ..i18n.date_fields import YearFirstDateField
from ..models import Dataset, LicenseRequest
from .selectors import QueueFilters

Status = LicenseRequest.Status
REASON = {"widget": forms.Textarea(attrs={"rows": 3}), "max_length": 4000}


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", _("All"))] + [(value, label) for value, label in Status.choices if value != Status.DRAFT],
        required=False,
    )
    dataset = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    overdue = forms.BooleanField(required=False, label=_("Waiting longer than promised"))
    q = forms.CharField(required=False, max_length=100, label=_("Search"), strip=True)
    assigned = forms.ChoiceField(
        choices=[("", _("Anyone's")), ("mine", _("Mine")), ("unassigned", _("Unassigned"))],
        required=False,
        label=_("Handled by"),
    )

    def __init__(self, data, *, datasets: list[Dataset], user=None):
        self.user = user
        # The queue opens on what needs a decision; "All" is an explicit choice.
        data = data.copy()
        data.setdefault("status", Status.UNDER_REVIEW)
        super().__init__(data)
        self.datasets = {dataset.pk: dataset for dataset in datasets}
        self.fields["dataset"].choices = [("", _("All my datasets"))] + [(d.pk, d.name) for d in datasets]

    def filters(self) -> QueueFilters:
        """The filters asked for; anything invalid falls back to its default rather than failing."""
        self.is_valid()
        cleaned = self.cleaned_data
        return QueueFilters(
            status=cleaned.get("status", Status.UNDER_REVIEW),
            dataset=self.datasets.get(cleaned.get("dataset")),
            overdue=cleaned.get("overdue", False),
            search=cleaned.get("q", ""),
            assignee_id=self.user.pk if self.user and cleaned.get("assigned") == "mine" else None,
            unassigned=cleaned.get("assigned") == "unassigned",
        )


class ApproveForm(forms.Form):
    expires_on = YearFirstDateField(
        required=False,
        label=_("Licence valid until"),
        help_text=_("Defaults to the dataset's licence duration. Empty: the licence does not expire."),
    )
    note = forms.CharField(
        required=False,
        label=_("Note to the applicant (optional; shown in their history)"),
        help_text=_("For what only reviewers should read, add an internal remark instead: those are never shown."),
        **REASON,
    )

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        if value and value <= clock.today():
            raise forms.ValidationError(_("Choose a date after today."))
        return value

    @property
    def expires_at(self) -> datetime.datetime | None:
        """The licence runs to the end of the chosen day."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max)) if day else None


class ReasonForm(forms.Form):
    """Reject and revoke: the reason is required, and the applicant reads it."""

    reason = forms.CharField(label=_("Reason (sent to the applicant)"), **REASON)


class ReturnForm(forms.Form):
    returned_fields = forms.MultipleChoiceField(
        label=_("Fields the applicant must correct"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one field: the applicant may change only the ones ticked.")},
    )
    reason = forms.CharField(label=_("What is wrong, and why (sent to the applicant)"), **REASON)

    def __init__(self, *args, request: LicenseRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["returned_fields"].choices = returnable_fields(request=request)


class RemarkForm(forms.Form):
    text = forms.CharField(label=_("Internal remark (never shown to the applicant)"), **REASON)


class CountersignedCopyForm(SignedCopyForm):
    """The copy the owner countersigned: read like the licensee's; its check (in a worker) requires the owner's signature too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        files = self.fields["files"]
        files.label = _("Countersigned agreement")
        files.help_text = _(
            "The licensee's signed copy with the owner's signature added: a scan of every page, signed on both "
            "lines, or the licensee's digitally signed PDF with the owner's signature field signed too."
        )
