"""A new account starts in the language its owner signed up in; a sign-in keeps an earlier choice."""

from allauth.account.signals import user_signed_up
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from .models import LanguagePreference
from .services import language_remember


@receiver(user_signed_up, dispatch_uid="language_on_signup")
def _remember_signup_language(sender, request, user, **kwargs):
    language_remember(user=user, language=translation.get_language())


@receiver(user_logged_in, dispatch_uid="language_on_login")
def _remember_first_language(sender, request, user, **kwargs):
    # Someone who never chose (an account older than the switcher) gets the language they sign in with.
    if request is not None and not LanguagePreference.objects.filter(user=user).exists():
        language_remember(user=user, language=translation.get_language())
