from django.urls import path

from . import views

app_name = "intermediary"
urlpatterns = [
    path("", views.monitor, name="monitor"),
    path("batches/<str:pk>/", views.batch, name="batch"),
    path("operations/<str:pk>/retry/", views.operation_retry, name="operation_retry"),
    path("alerts/<int:pk>/resend/", views.alert_resend, name="alert_resend"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("info-code/requests/", views.info_code_request_create, name="info_code_request_create"),
    path("info-code/requests/<int:pk>/approve/", views.info_code_request_approve, name="info_code_request_approve"),
    path("corrections/<int:pk>/complete/", views.correction_complete, name="correction_complete"),
    path("info-code/requests/<int:pk>/reject/", views.info_code_request_reject, name="info_code_request_reject"),
]
