from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.events, name="events"),
    path("events.csv", views.export_csv, name="export_csv"),
    path("events.xlsx", views.export_xlsx, name="export_xlsx"),
    path("anomalies/", views.anomalies, name="anomalies"),
    path("anchors/", views.anchors, name="anchors"),
    path("verify/", views.verify_now, name="verify"),
]
