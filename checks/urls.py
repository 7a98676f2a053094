from django.urls import path

from . import views

app_name = "checks"
urlpatterns = [
    path("check/", views.check, name="single"),
    path("bulk/check/", views.bulk_check, name="bulk"),
    path("bulk/recipient-filter/", views.recipient_file, name="recipient_filter"),
]
