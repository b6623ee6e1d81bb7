"""How allauth names people and where it sends them after signing in."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import get_next_redirect_url
from django.urls import reverse
from django.utils.http import urlencode

from ..ops.client_ip import client_ip
from ..review.selectors import is_reviewer


def user_display(user) -> str:
    """People are named by the email they sign in with, never by the username generated from it."""
    return user.email


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # A reviewer signs in to decide, so they land on their queue, not on an empty "My requests".
        # A ?next= still wins: allauth only asks the adapter when there is none.
        if is_reviewer(user=request.user):
            return reverse("review:queue")
        return super().get_login_redirect_url(request)

    def get_client_ip(self, request):
        # allauth's rate limits key on this: behind a proxy it must be the client, not the proxy.
        return client_ip(request) or super().get_client_ip(request)

    def get_email_confirmation_url(self, request, emailconfirmation):
        # Where the person was going when they signed up (say, a dataset's application form) rides
        # in the link itself, so it survives opening the email in another browser. Only a safe,
        # same-site next= is kept (allauth's own check).
        url = super().get_email_confirmation_url(request, emailconfirmation)
        going_to = get_next_redirect_url(request) if request is not None else None
        return f"{url}?{urlencode({'next': going_to})}" if going_to else url
