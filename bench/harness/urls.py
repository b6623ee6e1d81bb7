"""Every URL of the product, plus two bare views that pages are measured against.

Both go through the same middleware as every page (settings.MIDDLEWARE): the anonymous one does
nothing more; the signed-in one reads the session and its user, which every signed-in page does
before its own work. What a page costs beyond its bare view is the page's own.
"""

from django.http import HttpResponse
from django.urls import path

from accessportal.urls import urlpatterns as product_urlpatterns


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


def bare_session(request):
    return HttpResponse(b"ok" if request.user.is_authenticated else b"anonymous", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/bare-session/", bare_session),
    *product_urlpatterns,
]
