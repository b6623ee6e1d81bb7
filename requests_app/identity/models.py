from django.db import models
from django.utils.translation import gettext_lazy as _


class RepresentativeConfirmation(models.Model):
    """One email to the representative named on a request, asking them to confirm it, and their answer.

    The answer is also a RequestEvent (identity.services.representative_answer), so it stands in the
    request's history; this row keeps what the history must not hold as text: the address and the
    browser it came from.
    """

    class Answer(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")

    request = models.ForeignKey(
        "requests_app.LicenseRequest",
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="representative_confirmations",
    )
    email = models.EmailField(_("sent to"))
    sent_at = models.DateTimeField(_("sent"))
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)

    class Meta:
        app_label = "requests_app"
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("representative's confirmation")
        verbose_name_plural = _("representatives' confirmations")
        indexes = [models.Index(fields=["answer", "reminded_at", "sent_at"], name="representative_due_idx")]

    def __str__(self):
        return f"{self.request} · {self.email} · {self.answer or 'awaited'}"
