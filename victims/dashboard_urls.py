from django.urls import path

from . import dashboard_views

app_name = "dashboard"
urlpatterns = [
    path("", dashboard_views.dashboard, name="home"),
    path("annual-report/", dashboard_views.annual_report_screen, name="annual_report"),
    path("annual-report.csv", dashboard_views.annual_report_csv, name="annual_report_csv"),
    path("annual-report.xlsx", dashboard_views.annual_report_xlsx, name="annual_report_xlsx"),
]
