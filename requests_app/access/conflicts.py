"""Conflicts of interest: nobody decides a request they applied for or that names them."""

from allauth.account.models import EmailAddress
from django.utils.translation import gettext as _


def conflict_of_interest(*, request, user) -> str | None:
    """Why `user` may not decide `request`, or None. The message is for the user."""
    if user is None:
        return None
    if request.applicant_id == user.pk:
        return _("You applied for %(reference)s: another reviewer must decide it.") % {"reference": request.reference}
    named = (request.email or "").strip().lower()
    if named:
        own = {e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
        own.add((user.email or "").lower())
        if named in own:
            return _(
                "%(reference)s names you as the institution's representative: another reviewer must decide it."
            ) % {"reference": request.reference}
    return None
