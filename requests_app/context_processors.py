"""What every page's layout needs to know about the user."""

from django.utils.functional import SimpleLazyObject

from .review.selectors import is_reviewer as reviews_a_dataset


def is_reviewer(request) -> dict:
    """Whether to show the Review link; asked only by a page that renders the navbar."""

    def answer() -> bool:
        # A reviewer's page has found the user's datasets already (review.views.reviewer_required).
        known = getattr(request, "reviewable_datasets", None)
        if known is not None:
            return bool(known)
        # Or the second-factor guard asked already (access/mfa.py).
        answered = getattr(request, "reviews_a_dataset", None)
        if answered is not None:
            return answered
        user = getattr(request, "user", None)
        return user is not None and reviews_a_dataset(user=user)

    return {"is_reviewer": SimpleLazyObject(answer)}
