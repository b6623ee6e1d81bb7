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

    request = models.ForeignKey(
        "requests_app.LicenseRequest", verbose_name=_("request"), on_delete=models.PROTECT, related_name="upload_checks"
    )
    issued_agreement = models.ForeignKey(
        "requests_app.IssuedAgreement", verbose_name=_("issued agreement"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.CHECKING)
    started_at = models.DateTimeField(
        _("started at"), null=True, blank=True, help_text=_("When a worker took the check.")
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(
        _("message"), blank=True, help_text=_("Why it was refused, or the accepted copy's summary.")
    )
    signed_copy = models.OneToOneField(
        "requests_app.SignedCopy",
        verbose_name=_("signed copy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    countersigned = models.BooleanField(
        _("countersigned"),
        default=False,
        help_text=_("The owner's countersigned copy, uploaded by a reviewer: checked for both signatures."),
    )

    class Meta:
        verbose_name = _("upload check")
        verbose_name_plural = _("upload checks")
        app_label = "requests_app"
        ordering = ["request", "-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.request} upload of {self.uploaded_at:%Y-%m-%d %H:%M} ({self.state})"


def _quarantine_path(instance, filename):
    return f"quarantine/{secrets.token_hex(16)}{filename[filename.rfind('.') :]}"


class QuarantinedFile(models.Model):
    """An uploaded file not yet checked. Never served; deleted, file and row, once its check ends."""

    check_run = models.ForeignKey(
        UploadCheck, verbose_name=_("check run"), on_delete=models.CASCADE, related_name="files"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    file = models.FileField(_("file"), upload_to=_quarantine_path, max_length=200)
    original_name = models.CharField(_("original name"), max_length=120)
    content_type = models.CharField(
        _("content type"), max_length=40, help_text=_("Sniffed from the content at upload.")
    )

    class Meta:
        verbose_name = _("quarantined file")
        verbose_name_plural = _("quarantined files")
        app_label = "requests_app"
        ordering = ["check_run", "position"]

    def __str__(self):
        return self.original_name
