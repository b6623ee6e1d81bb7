"""Writes of the language a person reads."""

from django.db import transaction

from .. import clock
from .models import LanguagePreference
from .selectors import supported_language


@transaction.atomic
def language_remember(*, user, language: str) -> LanguagePreference:
    """Store the language `user` chose; emails to them are written in it from now on."""
    preference, _ = LanguagePreference.objects.update_or_create(
        user=user, defaults={"language": supported_language(language=language), "updated_at": clock.now()}
    )
    return preference
