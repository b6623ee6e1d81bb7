"""A reviewer's email preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..applications.views import CORRECT_THE_FIELDS
from ..review.selectors import email_preferences, is_reviewer
from ..reviewing import services as reviewing
from ..reviewing.forms import EmailPreferenceForm


@login_required
def digest_preference(request):
    if not is_reviewer(user=request.user):
        raise Http404("Only reviewers receive the digest.")
    form = EmailPreferenceForm(
        request.POST if request.method == "POST" else None, initial=email_preferences(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        reviewing.reviewer_set_preferences(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your email choices are saved."))
        return redirect("reminders:digest_preference")
    if request.method == "POST":
        messages.error(request, CORRECT_THE_FIELDS)
    return render(request, "reminders/digest_preference.html", {"form": form})
