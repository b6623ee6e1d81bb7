from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignedCopyView(models.Model):
    """A reviewer opened a signed copy (a personal document): who, when, from where. Listed in the admin."""

    file = models.ForeignKey(
        "requests_app.SignedCopyFile",
        verbose_name=_("file"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="views",
    )
    # Kept when the file itself is removed with the request's personal data: the record of who looked stays.
    request = models.ForeignKey(
        "requests_app.LicenseRequest",
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="signed_copy_views",
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("viewer"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    inline = models.BooleanField(_("shown in the page"), default=False)

    class Meta:
        app_label = "requests_app"
        ordering = ["-at", "-pk"]
        verbose_name = _("signed copy view")
        verbose_name_plural = _("signed copy views")

    def __str__(self):
        return f"{self.request} · {self.viewer} · {self.at:%Y-%m-%d %H:%M}"
