from django.urls import path

from . import approval_views as views

app_name = "approvals"
urlpatterns = [
    path("approvals/", views.queue, name="queue"),
    path("requests/<int:pk>/decide/", views.decide, name="decide"),
    path("requests/<int:pk>/approve/", views.approve, name="approve"),
    path("requests/<int:pk>/reject/", views.reject, name="reject"),
    path("requests/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("requests/<int:pk>/slip/", views.slip, name="slip"),
]
