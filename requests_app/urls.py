from django.urls import path

from . import views
from .reviewing import public_views

app_name = "requests_app"

# References are matched as slugs, so junk such as a NUL byte is a 404 before it reaches the database
# (PostgreSQL refuses NUL in a query and would turn it into a 500).

urlpatterns = [
    path("", views.dataset_list, name="dataset_list"),
    path("datasets/<slug:slug>/", views.dataset_detail, name="dataset_detail"),
    path("datasets/<slug:slug>/apply/", views.apply, name="apply"),
    path("datasets/<slug:slug>/turnaround/", public_views.dataset_turnaround, name="dataset_turnaround"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<slug:reference>/", views.request_detail, name="request_detail"),
    path("requests/<slug:reference>/edit/", views.request_edit, name="request_edit"),
    path("requests/<slug:reference>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("requests/<slug:reference>/delivery/", views.delivery_instructions, name="delivery_instructions"),
    path("requests/<slug:reference>/reaccept/", views.request_reaccept, name="request_reaccept"),
    path("requests/<slug:reference>/renew/", public_views.renew, name="renew"),
    # The issued agreement and the signed copy (issue 4).
    path("requests/<slug:reference>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("requests/<slug:reference>/upload/", views.signed_copy_upload, name="signed_copy_upload"),
    path(
        "requests/<slug:reference>/signed-copies/<int:file_id>/", views.signed_copy_file, name="signed_copy_file"
    ),
    path(
        "requests/<slug:reference>/signed-copies/<int:copy_id>/pages/<int:page>.png",
        views.signed_copy_page_thumbnail, name="signed_copy_page_thumbnail",
    ),
    path("verify/<slug:token>/", views.verify, name="verify"),
]
