"""The applicant's own data: what is kept and how long, the ZIP of all of it, and closing the account."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import clock
from ..workflow import Status
from .export import personal_data_zip
from .services import account_delete


@login_required
def my_data(request):
    licences = request.user.license_requests.filter(status=Status.APPROVED).only("reference", "expires_at")
    return render(
        request,
        "privacy/my_data.html",
        {
            "licences": licences,
            "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
        },
    )


@login_required
def my_data_zip(request):
    response = HttpResponse(personal_data_zip(request.user), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"licence-portal-data-{clock.today():%Y-%m-%d}.zip"
    )
    return response


@require_POST
@login_required
def account_close(request):
    if request.POST.get("confirm") != "delete":
        messages.error(request, _("Tick the box to confirm that you want to delete your account."))
        return redirect("privacy:my_data")
    kept = account_delete(user=request.user)
    logout(request)
    if kept:
        messages.info(
            request,
            _(
                "Your account is deleted. Your licences %(references)s are kept as licence records until they end, plus %(days)s days."
            )
            % {
                "references": ", ".join(r.reference for r in kept),
                "days": settings.PERSONAL_DATA_RETENTION_DAYS,
            },
        )
    else:
        messages.info(request, _("Your account and your personal data are deleted."))
    return redirect("requests_app:dataset_list")
