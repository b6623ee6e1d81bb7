"""The download side's URLs: the API, its schema and docs, the reviewers' key and webhook pages,
licence tokens and the public key set. Included before the review and request URLs, whose
`<reference>/` patterns would otherwise read `api-keys` as a reference."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import api, views

urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/v1/licences/", api.LicenceList.as_view(), name="api_licences"),
    path("api/v1/licences/<str:reference>/", api.LicenceDetail.as_view(), name="api_licence"),
    *(
        path(f"api/v1/licences/<str:reference>/{action}/", api.decision_view(action), name=f"api_licence_{action}")
        for action in api.DECISIONS
    ),
    path("api/v1/events/", api.EventList.as_view(), name="api_events"),
    path("api/v1/revocations/", api.Revocations.as_view(), name="api_revocations"),
    path("review/api-keys/", views.api_keys, name="api_keys"),
    path("review/api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("review/webhooks/", views.webhooks_page, name="webhooks"),
    path("review/webhooks/<int:webhook_id>/test/", views.webhook_test, name="webhook_test"),
    path("review/webhooks/<int:webhook_id>/remove/", views.webhook_disable, name="webhook_disable"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("requests/<slug:reference>/licence-token.jwt", views.licence_token, name="licence_token"),
]
