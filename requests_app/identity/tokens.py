"""The link in the representative's email: signed (not guessable, not editable) and expiring.

The token carries only the confirmation's id; the signature and its timestamp are checked on every use,
so an old or altered link is refused without a database lookup.
"""

from django.conf import settings
from django.core import signing

SALT = "requests_app.identity.representative"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def make_token(confirmation) -> str:
    return signing.dumps(confirmation.pk, salt=SALT, compress=False)


def confirmation_id(token: str) -> int:
    """The confirmation the token was made for; LinkExpired after REPRESENTATIVE_LINK_DAYS, LinkInvalid if forged."""
    try:
        return int(signing.loads(token, salt=SALT, max_age=settings.REPRESENTATIVE_LINK_DAYS * 24 * 3600))
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, TypeError, ValueError):
        raise LinkInvalid from None
