from django.urls import path

from .applications.views import (
    apply,
    dataset_detail,
    dataset_list,
    delivery_instructions,
    my_requests,
    request_detail,
    request_edit,
    request_reaccept,
    request_withdraw,
)
from .documents.views import (
    agreement_pdf,
    signed_copy_file,
    signed_copy_page_thumbnail,
    signed_copy_upload,
    upload_check_status,
    verify,
)
from .reviewing import public_views

app_name = "requests_app"

# References are matched as slugs, so junk such as a NUL byte is a 404 before it reaches the database
# (PostgreSQL refuses NUL in a query and would turn it into a 500).

urlpatterns = [
    path("", dataset_list, name="dataset_list"),
    path("datasets/<slug:slug>/", dataset_detail, name="dataset_detail"),
    path("datasets/<slug:slug>/apply/", apply, name="apply"),
    path("datasets/<slug:slug>/turnaround/", public_views.dataset_turnaround, name="dataset_turnaround"),
    path("requests/", my_requests, name="my_requests"),
    path("requests/<slug:reference>/", request_detail, name="request_detail"),
    path("requests/<slug:reference>/edit/", request_edit, name="request_edit"),
    path("requests/<slug:reference>/withdraw/", request_withdraw, name="request_withdraw"),
    path("requests/<slug:reference>/delivery/", delivery_instructions, name="delivery_instructions"),
    path("requests/<slug:reference>/reaccept/", request_reaccept, name="request_reaccept"),
    path("requests/<slug:reference>/renew/", public_views.renew, name="renew"),
    # The issued agreement and the signed copy (issue 4).
    path("requests/<slug:reference>/agreement.pdf", agreement_pdf, name="agreement_pdf"),
    path("requests/<slug:reference>/upload/", signed_copy_upload, name="signed_copy_upload"),
    path("requests/<slug:reference>/upload/<int:check_id>/", upload_check_status, name="upload_check_status"),
    path("requests/<slug:reference>/signed-copies/<int:file_id>/", signed_copy_file, name="signed_copy_file"),
    path(
        "requests/<slug:reference>/signed-copies/<int:copy_id>/pages/<int:page>.png",
        signed_copy_page_thumbnail,
        name="signed_copy_page_thumbnail",
    ),
    path("verify/<slug:token>/", verify, name="verify"),
]
