from django.urls import path

from . import provision_views as views

app_name = "provisions"
urlpatterns = [
    path("", views.decision_list, name="list"),
    path("new/", views.decision_new, name="new"),
    path("<int:pk>/", views.decision_detail, name="detail"),
    path("<int:pk>/approve/", views.decision_approve, name="approve"),
    path("<int:pk>/reject/", views.decision_reject, name="reject"),
    path("<int:pk>/slip/", views.decision_slip, name="slip"),
]
