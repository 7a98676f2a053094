from django.urls import path

from . import sharing_views, views

app_name = "victims"
urlpatterns = [
    path("", views.department_list, name="list"),
    path("worklist/", views.worklist, name="worklist"),
    path("new/", views.intake, name="intake"),
    path("registrations/<int:pk>/", views.registration, name="registration"),
    path("search/", views.search, name="search"),
    path("shared/", views.shared_list, name="shared"),
    path("notices/<int:pk>/acknowledge/", views.acknowledge_notice, name="acknowledge_notice"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/cases/<int:case_id>/confirm/", views.confirm_procedure, name="confirm_procedure"),
    path("<int:pk>/release/", views.release, name="release"),
    path("<int:pk>/amend/", views.amend, name="amend"),
    path("<int:pk>/grants/", views.grant, name="grant"),
    path("<int:pk>/grants/<str:department>/revoke/", views.revoke, name="revoke"),
    path("<int:pk>/transfer/", sharing_views.transfer, name="transfer"),
    path("grant-records/<int:pk>/slip/", sharing_views.grant_slip, name="grant_slip"),
    path("<int:pk>/corrections/", views.request_correction, name="request_correction"),
    path("<int:pk>/onward/", views.onward_list, name="onward_list"),
    path("<int:pk>/onward/<int:onward_id>/confirm/", views.onward_confirm, name="onward_confirm"),
    path("<int:pk>/onward/<int:onward_id>/letter/", views.onward_letter, name="onward_letter"),
]
