"""The representative's page: no account, only the signed link from their email."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..applications.views import client_ip
from ..http import found_or_404
from . import selectors
from .services import AlreadyAnswered, representative_answer
from .tokens import LinkExpired, LinkInvalid, confirmation_id


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    try:
        pk = confirmation_id(token)
    except LinkInvalid:
        raise Http404("No such link.") from None
    except LinkExpired:
        return render(request, "identity/link_expired.html", status=410)
    confirmation = found_or_404(selectors.confirmation_for_link, pk=pk)
    if request.method == "POST" and request.POST.get("answer") in ("confirm", "decline"):
        try:
            representative_answer(
                confirmation=confirmation,
                confirmed=request.POST["answer"] == "confirm",
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except AlreadyAnswered as error:
            messages.info(request, str(error))
        else:
            messages.success(request, _("Thank you: your answer is recorded and the applicant can see it."))
        return redirect(request.path)
    return render(
        request, "identity/confirm.html", {"confirmation": confirmation, "license_request": confirmation.request}
    )
