from django.contrib import admin
from django.urls import include, path

from requests_app.i18n.views import set_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("requests_app.identity.urls")),
    path("", include("requests_app.privacy.urls")),
    # Before requests_app.urls, so that review/publications/... is never read as a reference.
    path("", include("requests_app.reminder_urls")),
    # After reminder_urls for the same reason: review/<reference>/ would swallow review/publications/.
    path("review/", include("requests_app.review.urls")),
    path("", include("requests_app.urls")),
]
