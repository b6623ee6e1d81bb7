"""Reviewers and administrators use a second factor (allauth.mfa) before any page of the portal.

The guard goes by who is signed in, not by where they go: a reviewer's or staff member's password
alone opens nothing but the pages to pass or set up the second factor, sign out, or switch language
(settings.MFA_OPEN_PATHS). Their access reaches other people's documents from pages outside the
reviewers' side (/requests/<ref>/agreement.pdf, signed copies), so guarding the reviewers' paths
alone would leave those behind a password. Applicants who review nothing are never asked.

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


class RequireSecondFactorMiddleware:
    """Stops a reviewer or staff session that has not passed a second factor anywhere outside MFA_OPEN_PATHS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.MFA_REQUIRED_FOR_STAFF
            and user.is_authenticated
            and request.session.get(SESSION_KEY) != str(user.pk)
            and not request.path.startswith(tuple(settings.MFA_OPEN_PATHS))
            and self._needs_second_factor(request, user)  # last: the only check that queries
        ):
            return self._ask(request, user)
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request, user) -> bool:
        """Whether signed-in `user` is staff or reviews a dataset (and so must pass a second factor)."""
        if user.is_staff or user.is_superuser:
            return True
        # The page's navbar asks the same (context_processors.is_reviewer): one query answers both.
        request.reviews_a_dataset = is_reviewer(user=user)
        return request.reviews_a_dataset

    @staticmethod
    def _ask(request, user):
        query = urlencode({"next": request.get_full_path()})
        if Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists():
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        messages.info(
            request, _("Reviewers and administrators sign in with a second factor: set up an authenticator app first.")
        )
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")
