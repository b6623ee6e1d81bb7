"""Start-up checks of the production profile that do not need Django to be set up.

`secret_key_problem` runs while the settings load (gunicorn runs no system checks, so a weak key
must stop the import itself); requests_app.ops.checks registers the same rule as a system check.
"""

import math
from collections import Counter

SECRET_KEY_MIN_LENGTH = 50
# Bits of entropy estimated from the key's own character frequencies: 50 random characters of
# Django's get_random_secret_key() alphabet carry ~250; a repeated or dictionary-like key far less.
SECRET_KEY_MIN_BITS = 200


def _estimated_bits(key: str) -> float:
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def secret_key_problem(key: str) -> str | None:
    """Why `key` is not fit to sign sessions and tokens in production, or None when it is."""
    hint = 'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
    if key.startswith("django-insecure"):
        return f"SECRET_KEY is Django's insecure placeholder. {hint}"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY has {len(key)} characters; production needs at least {SECRET_KEY_MIN_LENGTH}. {hint}"
    if _estimated_bits(key) < SECRET_KEY_MIN_BITS:
        return f"SECRET_KEY is too predictable (repeated or few distinct characters). {hint}"
    return None
