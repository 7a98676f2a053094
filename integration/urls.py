from django.urls import path

from . import views

app_name = "integration"
urlpatterns = [
    path("review-tasks/", views.review_tasks, name="review_tasks"),
    path("review-tasks/<int:pk>/close/", views.close, name="close_review_task"),
    path("review-tasks/<int:pk>/grant/", views.grant, name="grant_review_task"),
]
