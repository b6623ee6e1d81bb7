from django.urls import path

from . import views

app_name = "identity"

urlpatterns = [
    path("representative/<str:token>/", views.confirm, name="confirm"),
]
