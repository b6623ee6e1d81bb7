"""The reviewers' pages of the download side, and what a licensee downloads. Thin, like review/views."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from requests_app.review.views import reviewer_required

from . import keys


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. the server that will use it.")
    datasets = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    can_decide = forms.BooleanField(
        required=False, label="May decide",
        help_text="Approve, reject, return and revoke through the API. Leave unticked for a read-only key.",
    )

    def __init__(self, *args, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        from requests_app.models import Dataset

        self.fields["datasets"].queryset = Dataset.objects.filter(pk__in=[d.pk for d in datasets])
        self.fields["datasets"].initial = [d.pk for d in datasets]


@reviewer_required
def api_keys(request, datasets):
    form = ApiKeyForm(request.POST or None, datasets=datasets)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = keys.api_key_create(
                user=request.user, name=form.cleaned_data["name"], datasets=list(form.cleaned_data["datasets"]),
                can_decide=form.cleaned_data["can_decide"],
            )
        except keys.KeyInvalid as error:
            form.add_error(None, str(error))
        else:
            form = ApiKeyForm(datasets=datasets)
    return render(request, "integrations/api_keys.html", {
        "form": form, "issued": issued, "keys": keys.keys_of(request.user),
    })


@reviewer_required
@require_POST
def api_key_revoke(request, datasets, key_id):
    try:
        api_key = keys.api_key_revoke(user=request.user, key_id=key_id)
    except keys.ApiKey.DoesNotExist:
        from django.http import Http404

        raise Http404("No such key.") from None
    messages.success(request, f"Key “{api_key.name}” revoked: it no longer opens the API.")
    return redirect("api_keys")
