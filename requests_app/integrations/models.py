"""Data of the integrations. Imported by requests_app.models, so these belong to requests_app."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext

from requests_app.models import Dataset, LicenseRequest


class ApiKey(models.Model):
    """A reviewer's key to the JSON API. Only a hash is kept: the key itself is shown once.

    `prefix` is the key's first, public part, so a key is found by an indexed lookup and its hash
    compared in constant time. A key sees what its owner reviews, now, among `datasets`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    datasets = models.ManyToManyField(Dataset, related_name="+")
    can_decide = models.BooleanField(default=False, help_text="May approve, reject, return and revoke.")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class Webhook(models.Model):
    """An HTTPS endpoint a reviewer registered for one dataset's events, with its signing secret."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=80, editable=False, help_text="Standard Webhooks secret (whsec_…).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dataset", "created_at", "pk"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook, with the outcome of its latest attempt."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    msg_id = models.CharField(max_length=40, unique=True, editable=False)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"

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

    request = models.ForeignKey(LicenseRequest, on_delete=models.PROTECT, related_name="hf_calls")
    repo = models.CharField(max_length=200)
    action = models.CharField(max_length=40)
    username = models.CharField(max_length=100)
    at = models.DateTimeField()
    ok = models.BooleanField()
    result = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.action} {self.username} on {self.repo}: {'ok' if self.ok else 'failed'}"


class HuggingFacePendingRequest(models.Model):
    """Someone asked the gated repository for access without an active licence here: left pending."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="hf_pending")
    username = models.CharField(max_length=100)
    requested_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["dataset", "first_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "username"], name="unique_hf_pending_user"),
        ]

    def __str__(self):
        return f"{self.username} waiting on {self.dataset}"
