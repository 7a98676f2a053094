"""Routes of /api/v1/. Every route names its permission classes (deny by default)."""
from django.urls import path, re_path
from rest_framework.views import APIView

from checks import api as checks_api
from core.errors import NotFound
from integration import api as integration_api
from victims import api as victims_api
from victims import provision_api


class _UnknownRoute(APIView):
    """Unknown API paths answer in the API's one JSON error shape, not an HTML page."""

    schema = None  # not part of the documented API

    def _not_found(self, request, *args, **kwargs):
        raise NotFound()

    get = post = put = patch = delete = _not_found


urlpatterns = [
    path("targets/", victims_api.TargetCreateApi.as_view(), name="api-targets"),
    path("targets/search/", victims_api.TargetSearchApi.as_view(), name="api-targets-search"),
    path("targets/<int:target_id>/", victims_api.TargetDetailApi.as_view(), name="api-target-detail"),
    path("targets/<int:target_id>/onward-requests/", victims_api.OnwardRequestsApi.as_view(),
         name="api-target-onward-requests"),
    path("targets/<int:target_id>/onward-requests/<int:onward_id>/confirm",
         victims_api.OnwardRequestConfirmApi.as_view(), name="api-target-onward-request-confirm"),
    path("targets/<int:target_id>/flags/", victims_api.TargetFlagsApi.as_view(), name="api-target-flags"),
    path("targets/<int:target_id>/release-requests/", victims_api.ReleaseRequestCreateApi.as_view(),
         name="api-target-release-requests"),
    path("targets/<int:target_id>/amendments/", victims_api.AmendmentCreateApi.as_view(),
         name="api-target-amendments"),
    path("targets/<int:target_id>/transfers/", victims_api.TransferRequestCreateApi.as_view(),
         name="api-target-transfers"),
    path("targets/<int:target_id>/grants/", victims_api.TargetGrantsApi.as_view(), name="api-target-grants"),
    path("targets/<int:target_id>/grants/<str:department>", victims_api.TargetGrantApi.as_view(),
         name="api-target-grant"),
    path("cases/<int:case_id>/confirmations", victims_api.CaseConfirmationApi.as_view(), name="api-case-confirmations"),
    path("change-requests/<int:change_request_id>/approve", victims_api.ChangeRequestApproveApi.as_view(),
         name="api-change-request-approve"),
    path("change-requests/<int:change_request_id>/reject", victims_api.ChangeRequestRejectApi.as_view(),
         name="api-change-request-reject"),
    path("change-requests/<int:change_request_id>/withdraw", victims_api.ChangeRequestWithdrawApi.as_view(),
         name="api-change-request-withdraw"),
    path("registrations/<int:registration_id>/", victims_api.RegistrationDetailApi.as_view(),
         name="api-registration-detail"),
    path("notices/", victims_api.NoticeListApi.as_view(), name="api-notices"),
    path("notices/<int:notice_id>/acknowledge", victims_api.NoticeAcknowledgeApi.as_view(),
         name="api-notice-acknowledge"),
    path("reminders/", victims_api.ReminderListApi.as_view(), name="api-reminders"),
    path("provision-decisions/", provision_api.ProvisionDecisionsApi.as_view(), name="api-provision-decisions"),
    path("provision-decisions/<int:decision_id>/approve", provision_api.ProvisionDecisionApproveApi.as_view(),
         name="api-provision-decision-approve"),
    path("provision-decisions/<int:decision_id>/reject", provision_api.ProvisionDecisionRejectApi.as_view(),
         name="api-provision-decision-reject"),
    path("inquiry-checks/", checks_api.InquiryCheckApi.as_view(), name="api-inquiry-checks"),
    path("inquiry-checks/bulk/", checks_api.BulkInquiryCheckApi.as_view(), name="api-inquiry-checks-bulk"),
    path("recipient-filter/", checks_api.RecipientFilterApi.as_view(), name="api-recipient-filter"),
    path("inquiry-files/stamp", checks_api.InquiryFileStampApi.as_view(), name="api-inquiry-files-stamp"),
    path("provision-files/check", checks_api.ProvisionFileCheckApi.as_view(), name="api-provision-files-check"),
    path("jumin-support-measures/", integration_api.JuminSupportPushApi.as_view(), name="api-jumin-support-measures"),
    path("review-tasks/", integration_api.ReviewTaskListApi.as_view(), name="api-review-tasks"),
    path("review-tasks/<int:task_id>/close", integration_api.ReviewTaskCloseApi.as_view(),
         name="api-review-task-close"),
    path("review-tasks/<int:task_id>/grant", integration_api.ReviewTaskGrantApi.as_view(),
         name="api-review-task-grant"),
]

# Last: anything else under /api/v1/ (after authentication) is a JSON 404.
urlpatterns.append(re_path(r"^.*$", _UnknownRoute.as_view(), name="api-unknown"))
