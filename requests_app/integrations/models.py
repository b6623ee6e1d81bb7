"""Data of the integrations. Imported by requests_app.models, so these belong to requests_app."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.models import Dataset, LicenseRequest

from .delivery_errors import retold


class ApiKey(models.Model):
    """A reviewer's key to the JSON API. Only a hash is kept: the key itself is shown once.

    `prefix` is the key's first, public part, so a key is found by an indexed lookup and its hash
    compared in constant time. A key sees what its owner reviews, now, among `datasets`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    datasets = models.ManyToManyField(Dataset, verbose_name=_("datasets"), related_name="+")
    can_decide = models.BooleanField(
        _("can decide"), default=False, help_text=_("May approve, reject, return and revoke.")
    )
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class Webhook(models.Model):
    """An HTTPS endpoint a reviewer registered for one dataset's events, with its signing secret."""

    dataset = models.ForeignKey(Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("secret"), max_length=80, editable=False, help_text=_("Standard Webhooks secret (whsec_…).")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["dataset", "created_at", "pk"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook, with the outcome of its latest attempt."""

    webhook = models.ForeignKey(Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries")
    msg_id = models.CharField(_("message ID"), max_length=40, unique=True, editable=False)
    event_type = models.CharField(_("event type"), max_length=40)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.event_type} → {self.webhook}"

    @property
    def outcome(self) -> str:
        if self.delivered_at:
            return "delivered"
        if self.failed_at:
            return "failed"
        return "retrying" if self.attempts else "queued"

    @property
    def last_error_display(self) -> str:
        """`last_error`, stored in English, in the reader's language."""
        return retold(self.last_error)

    @property
    def outcome_display(self) -> str:
        """`outcome` in the reader's language."""
        return {
            "delivered": gettext("delivered"),
            "failed": gettext("failed"),
            "retrying": gettext("retrying"),
            "queued": gettext("queued"),
        }[self.outcome]


class HuggingFaceCall(models.Model):
    """One call the portal made to a gated Hugging Face repository about a request, and its result."""

    request = models.ForeignKey(
        LicenseRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="hf_calls"
    )
    repo = models.CharField(_("repo"), max_length=200)
    action = models.CharField(_("action"), max_length=40)
    username = models.CharField(_("username"), max_length=100)
    at = models.DateTimeField(_("at"))
    ok = models.BooleanField(_("ok"))
    result = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("Hugging Face call")
        verbose_name_plural = _("Hugging Face calls")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.action} {self.username} on {self.repo}: {'ok' if self.ok else 'failed'}"


class HuggingFacePendingRequest(models.Model):
    """Someone asked the gated repository for access without an active licence here: left pending."""

    dataset = models.ForeignKey(Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="hf_pending")
    username = models.CharField(_("username"), max_length=100)
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first seen at"))
    last_seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("pending Hugging Face request")
        verbose_name_plural = _("pending Hugging Face requests")
        ordering = ["dataset", "first_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "username"], name="unique_hf_pending_user"),
        ]

    def __str__(self):
        return f"{self.username} waiting on {self.dataset}"
