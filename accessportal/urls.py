from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("review/", include("requests_app.review.urls")),
    path("", include("requests_app.urls")),
]
