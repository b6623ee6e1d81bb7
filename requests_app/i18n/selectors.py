"""Reads of the language a person reads."""

from django.conf import settings
from django.utils import translation

from .models import LanguagePreference


def supported_language(*, language: str | None) -> str:
    """`language` as one of settings.LANGUAGES (zh-cn → zh-hans, en-gb → en); the default if none fits."""
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


def language_of(*, user) -> str:
    """The language to write to `user` in: their stored choice, else the site's default."""
    if user is None or user.pk is None:
        return supported_language(language=None)
    stored = LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
    return supported_language(language=stored)
