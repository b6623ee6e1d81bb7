"""Reviewers and administrators use a second factor (allauth.mfa) before any reviewer or admin page.

Someone without one is sent to set up an authenticator app (TOTP; recovery codes and security keys
follow from allauth's own pages); someone with one whose session has not passed it (signed in
before setting it up elsewhere, say) is asked for it again. A session counts as having passed the
second factor once allauth reports an authenticator used (the login stage, a reauthentication) or
added (setting one up proves it) in that session.
"""

from allauth.mfa import signals
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ..review.selectors import is_reviewer

SESSION_KEY = "portal_mfa_passed_user"
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


@receiver(signals.authenticator_used)
@receiver(signals.authenticator_added)
def _second_factor_passed(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = str(user.pk)


def needs_second_factor(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.is_superuser or is_reviewer(user=user))


class RequireSecondFactorMiddleware:
    """Guards the paths in settings.MFA_REQUIRED_PATHS (the reviewers' side and the admin)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.MFA_REQUIRED_FOR_STAFF and request.path.startswith(self._guarded()):
            user = request.user
            if needs_second_factor(user) and request.session.get(SESSION_KEY) != str(user.pk):
                return self._ask(request, user)
        return self.get_response(request)

    @staticmethod
    def _guarded() -> tuple[str, ...]:
        return tuple(reverse(name) for name in settings.MFA_REQUIRED_PATHS)

    @staticmethod
    def _ask(request, user):
        query = urlencode({"next": request.get_full_path()})
        if Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists():
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        messages.info(
            request, _("Reviewers and administrators sign in with a second factor: set up an authenticator app first.")
        )
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")
