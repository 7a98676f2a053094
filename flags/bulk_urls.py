from django.urls import path

from . import bulk_views

app_name = "bulk"
urlpatterns = [
    path("check/", bulk_views.bulk_check, name="check"),
    path("recipient-filter/", bulk_views.recipient_file, name="recipient_filter"),
]
