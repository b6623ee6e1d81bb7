"""How allauth names people and where it sends them after signing in."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from .ops.client_ip import client_ip
from .selectors import is_reviewer


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
