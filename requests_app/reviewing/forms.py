"""The reviewers' forms for their day: email choices, claims and assignments."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import clock
from ..i18n.date_fields import YearFirstDateField
from ..models import ReviewerPreference


class EmailPreferenceForm(forms.Form):
    daily_digest = forms.BooleanField(
        required=False,
        label=_("Email me each morning the requests waiting longer than promised"),
    )
    new_work = forms.ChoiceField(
        choices=ReviewerPreference.NewWork.choices,
        widget=forms.RadioSelect,
        label=_("New work (submissions, signed copies, corrections) in the datasets I review"),
        required=False,
        error_messages={"invalid_choice": _("Choose how to hear of new work.")},
    )

    def clean_new_work(self):
        # Not sent (an older form, a script): the choice stays as it was.
        return self.cleaned_data["new_work"] or self.initial.get("new_work") or ReviewerPreference.NewWork.EACH


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, label=_("Assign to"))

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.reviewers = {user.pk: user for user in reviewers}
        self.fields["assignee"].choices = [(user.pk, user.get_full_name() or user.email) for user in reviewers]

    @property
    def chosen(self):
        return self.reviewers[self.cleaned_data["assignee"]]


class RefuseRenewalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the licensee)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("The licence is not changed: it runs until its current expiry."),
    )


class ExtendForm(forms.Form):
    until = YearFirstDateField(
        label=_("Extend the licence until"),
        help_text=_("Defaults to one more licence duration from the current expiry."),
    )

    def clean_until(self):
        value = self.cleaned_data["until"]
        if value <= clock.today():
            raise forms.ValidationError(_("Choose a date after today."))
        return value

    @property
    def extended_to(self) -> datetime.datetime:
        """The licence runs to the end of the chosen day."""
        return timezone.make_aware(datetime.datetime.combine(self.cleaned_data["until"], datetime.time.max))
