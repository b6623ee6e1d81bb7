"""The reviewers' pages of the download side, and what a licensee downloads. Thin, like review/views."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from requests_app.models import Dataset
from requests_app.review.views import reviewer_required

from .. import clock
from ..applications.selectors import licence_gives_access, licence_is_active, request_for_applicant
from ..http import found_or_404
from . import keys, tasks, tokens, webhooks


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. the server that will use it."))
    datasets = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    can_decide = forms.BooleanField(
        required=False,
        label=_("May decide"),
        help_text=_("Approve, reject, return and revoke through the API. Leave unticked for a read-only key."),
    )

    def __init__(self, *args, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["datasets"].queryset = Dataset.objects.filter(pk__in=[d.pk for d in datasets])
        self.fields["datasets"].initial = [d.pk for d in datasets]


@reviewer_required
def api_keys(request, datasets):
    form = ApiKeyForm(request.POST or None, datasets=datasets)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = keys.api_key_create(
                user=request.user,
                name=form.cleaned_data["name"],
                datasets=list(form.cleaned_data["datasets"]),
                can_decide=form.cleaned_data["can_decide"],
            )
        except keys.KeyInvalid as error:
            form.add_error(None, str(error))
        else:
            form = ApiKeyForm(datasets=datasets)
    return render(
        request,
        "integrations/api_keys.html",
        {
            "form": form,
            "issued": issued,
            "keys": keys.keys_of(request.user),
        },
    )


@reviewer_required
@require_POST
def api_key_revoke(request, datasets, key_id):
    api_key = found_or_404(keys.api_key_revoke, user=request.user, key_id=key_id)
    messages.success(request, gettext("Key “%(name)s” revoked: it no longer opens the API.") % {"name": api_key.name})
    return redirect("api_keys")


# --- Webhooks --------------------------------------------------------------------------------------


class WebhookForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=None)
    url = forms.URLField(
        label="URL", max_length=500, assume_scheme="https", help_text=_("https://… on the owner's server.")
    )

    def __init__(self, *args, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.filter(pk__in=[d.pk for d in datasets])
        if len(datasets) == 1:
            self.fields["dataset"].initial = datasets[0].pk


@reviewer_required
def webhooks_page(request, datasets):
    form = WebhookForm(request.POST or None, datasets=datasets)
    if request.method == "POST" and form.is_valid():
        try:
            webhook = webhooks.webhook_register(
                user=request.user, dataset=form.cleaned_data["dataset"], url=form.cleaned_data["url"]
            )
        except webhooks.WebhookInvalid as error:
            form.add_error("url", str(error))
        else:
            messages.success(
                request,
                gettext("Webhook registered for %(name)s: %(url)s.")
                % {"name": webhook.dataset.name, "url": webhook.url},
            )
            return redirect("webhooks")
    return render(
        request,
        "integrations/webhooks.html",
        {
            "form": form,
            "webhooks": webhooks.webhooks_of(request.user),
            "deliveries": webhooks.recent_deliveries(request.user),
            "event_types": sorted(set(webhooks.EVENT_TYPES.values())),
        },
    )


@reviewer_required
@require_POST
def webhook_test(request, datasets, webhook_id):
    delivery = found_or_404(webhooks.delivery_test, user=request.user, webhook_id=webhook_id)
    tasks.deliver_webhook.delay(delivery.pk)
    messages.success(request, gettext("Test event %(id)s queued; its outcome appears below.") % {"id": delivery.msg_id})
    return redirect("webhooks")


@reviewer_required
@require_POST
def webhook_disable(request, datasets, webhook_id):
    webhook = found_or_404(webhooks.webhook_disable, user=request.user, webhook_id=webhook_id)
    messages.success(request, gettext("Webhook %(url)s removed: nothing more is sent there.") % {"url": webhook.url})
    return redirect("webhooks")


# --- Licence tokens ----------------------------------------------------------------------------------


@login_required
def licence_token(request, reference):
    """The applicant's own active licence as a signed token; anyone else, or no active licence: 404.

    While a changed agreement awaits the licensee's acceptance no token is issued (the data is held
    back until then): the request page, which shows what changed, says so.
    """
    licence = found_or_404(request_for_applicant, user=request.user, reference=reference)
    if not licence_is_active(request=licence):
        raise Http404("No active licence.")
    if not licence_gives_access(request=licence):
        messages.info(
            request,
            gettext("Accept the changed agreement below first: %(reference)s has a licence token again once you have.")
            % {"reference": licence.reference},
        )
        return redirect(licence)
    token = tokens.licence_token(licence=licence, now=clock.now())
    response = HttpResponse(token, content_type="application/jwt")
    response["Content-Disposition"] = f'attachment; filename="{licence.reference}.jwt"'
    return response


def jwks(request):
    response = JsonResponse(tokens.jwks())
    response["Cache-Control"] = "public, max-age=3600"
    return response
