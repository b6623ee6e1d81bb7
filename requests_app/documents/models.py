"""Uploads of the signed agreement waiting for their check, off the request thread."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UploadCheck(models.Model):
    """One upload of the signed agreement and where its check stands; what the uploader's page polls.

    The applicant's signed copy, or (`countersigned`) the owner's countersigned copy a reviewer uploads.

    Its files wait in quarantine (QuarantinedFile) until the check ends either way: accepted, they
    become the SignedCopy's files (the workflow's upload transition, by a service); refused, they
    are deleted with their rows. What stays is this row: when, by whom, and the outcome in words.
    """

    class State(models.TextChoices):
        CHECKING = "checking", _("checking")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    request = models.ForeignKey("requests_app.LicenseRequest", on_delete=models.PROTECT, related_name="upload_checks")
    issued_agreement = models.ForeignKey("requests_app.IssuedAgreement", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker took the check.")
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="Why it was refused, or the accepted copy's summary.")
    signed_copy = models.OneToOneField(
        "requests_app.SignedCopy", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    countersigned = models.BooleanField(
        default=False,
        help_text="The owner's countersigned copy, uploaded by a reviewer: checked for both signatures.",
    )

    class Meta:
        app_label = "requests_app"
        ordering = ["request", "-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.request} upload of {self.uploaded_at:%Y-%m-%d %H:%M} ({self.state})"


def _quarantine_path(instance, filename):
    return f"quarantine/{secrets.token_hex(16)}{filename[filename.rfind('.') :]}"


class QuarantinedFile(models.Model):
    """An uploaded file not yet checked. Never served; deleted, file and row, once its check ends."""

    check_run = models.ForeignKey(UploadCheck, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=_quarantine_path, max_length=200)
    original_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40, help_text="Sniffed from the content at upload.")

    class Meta:
        app_label = "requests_app"
        ordering = ["check_run", "position"]

    def __str__(self):
        return self.original_name
