from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export/requests.csv", views.export_requests, name="export_requests"),
    path("export/audit-trail.csv", views.export_events, name="export_events"),
    path("<slug:reference>/", views.request_review, name="request"),
    path("<slug:reference>/delivery-views/", views.delivery_views, name="delivery_views"),
    path("<slug:reference>/countersigned-copy/", views.countersigned_copy_upload, name="countersigned_copy_upload"),
    path(
        "<slug:reference>/countersigned-copy/<int:check_id>/",
        views.countersign_check_status,
        name="countersign_check_status",
    ),
    path("<slug:reference>/<slug:action>/", views.request_act, name="act"),
]
