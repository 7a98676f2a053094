from django.urls import path

from . import views

app_name = "flags"
urlpatterns = [
    path("approvals/", views.queue, name="queue"),
    path("requests/<int:pk>/approve/", views.approve, name="approve"),
    path("requests/<int:pk>/reject/", views.reject, name="reject"),
    path("requests/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("check/", views.check, name="check"),
]
