"""Writes and reads of the language a person reads."""

from django.conf import settings
from django.db import transaction
from django.utils import translation

from .. import clock
from .models import LanguagePreference


def supported(language: str | None) -> str:
    """`language` as one of settings.LANGUAGES (zh-cn → zh-hans, en-gb → en); the default if none fits."""
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


@transaction.atomic
def language_remember(*, user, language: str) -> LanguagePreference:
    """Store the language `user` chose; emails to them are written in it from now on."""
    preference, _ = LanguagePreference.objects.update_or_create(
        user=user, defaults={"language": supported(language), "updated_at": clock.now()}
    )
    return preference


def language_of(user) -> str:
    """The language to write to `user` in: their stored choice, else the site's default."""
    if user is None or user.pk is None:
        return supported(None)
    stored = LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
    return supported(stored)
