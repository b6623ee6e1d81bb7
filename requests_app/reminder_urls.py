from django.urls import path

from . import reminder_views as views

app_name = "reminders"

urlpatterns = [
    path("requests/<slug:reference>/publications/", views.report_publication, name="report_publication"),
    path("review/publications/<slug:slug>/", views.dataset_publications, name="dataset_publications"),
    path("review/publications/<slug:slug>/publications.csv", views.dataset_publications_csv, name="dataset_publications_csv"),
    path("notifications/digest/", views.digest_preference, name="digest_preference"),
]
