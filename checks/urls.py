from django.urls import path

from . import file_views, views

app_name = "checks"
urlpatterns = [
    path("check/", views.check, name="single"),
    path("bulk/check/", views.bulk_check, name="bulk"),
    path("bulk/recipient-filter/", views.recipient_file, name="recipient_filter"),
    path("bulk/inquiry-file-stamp/", file_views.inquiry_file_stamp, name="inquiry_file_stamp"),
    path("bulk/provision-file-check/", file_views.provision_file_check, name="provision_file_check"),
    path("file-layouts/", file_views.file_layouts, name="file_layouts"),
]
