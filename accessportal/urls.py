from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The download side (API, keys, webhooks, tokens): before review/<reference>/ and requests/<reference>/.
    path("", include("requests_app.integrations.urls")),
    # Before requests_app.urls, so that review/publications/... is never read as a reference.
    path("", include("requests_app.reminder_urls")),
    # After reminder_urls for the same reason: review/<reference>/ would swallow review/publications/.
    path("review/", include("requests_app.review.urls")),
    path("", include("requests_app.urls")),
]
