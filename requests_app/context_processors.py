"""What every page's layout needs to know about the user."""

from django.utils.functional import SimpleLazyObject

from . import selectors


def is_reviewer(request) -> dict:
    """Whether to show the Review link; asked (one query) only by a page that renders the navbar."""
    user = getattr(request, "user", None)
    return {"is_reviewer": SimpleLazyObject(lambda: user is not None and selectors.is_reviewer(user))}
