from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from requests_app.i18n.views import set_language
from requests_app.ops.health import healthz

# The admin signs in through allauth's login: its rate limits and second factor apply there too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The download side (API, keys, webhooks, tokens): before review/<reference>/ and requests/<reference>/.
    path("", include("requests_app.integrations.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("requests_app.identity.urls")),
    path("", include("requests_app.privacy.urls")),
    # Before requests_app.urls, so that review/publications/... is never read as a reference.
    path("", include("requests_app.notifications.urls")),
    # After reminder_urls for the same reason: review/<reference>/ would swallow review/publications/.
    path("review/", include("requests_app.review.urls")),
    path("", include("requests_app.urls")),
]
