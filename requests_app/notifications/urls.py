from django.urls import path

from ..publications.views import dataset_publications, dataset_publications_csv, report_publication
from .views import digest_preference

app_name = "reminders"

urlpatterns = [
    path("requests/<slug:reference>/publications/", report_publication, name="report_publication"),
    path("review/publications/<slug:slug>/", dataset_publications, name="dataset_publications"),
    path("review/publications/<slug:slug>/publications.csv", dataset_publications_csv, name="dataset_publications_csv"),
    path("notifications/digest/", digest_preference, name="digest_preference"),
]
