from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("account/data/", views.my_data, name="my_data"),
    path("account/data.zip", views.my_data_zip, name="my_data_zip"),
    path("account/delete/", views.account_close, name="account_close"),
]
