"""The per-role home page: it gathers lists from victims, so it sits in the top layer."""
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.models import Staff
from accounts.selectors import departments_without_approver, fallback_approver_department
from core import policy
from core.newest import Newest
from core.policy import Capability
from core.screens import screen
from flags.selectors import approval_queue
from victims.provisions import pending_provision_decision_count
from victims.reminders import alerted_keys, reminders_for
from victims.selectors import notices_for, overdue_notice_count, overdue_notice_total

# The oldest due first: a large department has thousands of reminders (13,534 for 51,000
# people: 1.2 MB and 3.5 s as one table, issue 14); the rest are found through the worklist's
# 「期限の来た確認事項がある対象者のみ」.
HOME_REMINDER_MAX = 50


@screen(None)
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, Staff):  # `screen` let only signed-in staff through
        raise PermissionDenied
    context: dict[str, object] = {"role": getattr(user, "role", ""), "notice_ack_days": settings.NOTICE_ACK_DAYS}
    if policy.allows(user, Capability.HANDLE_VICTIMS):
        context["notices"] = notices_for(actor=user)
        context["overdue_notices"] = overdue_notice_count(actor=user)
        reminders = reminders_for(actor=user, shown=HOME_REMINDER_MAX)
        # Approvers see which ones the daily job has alerted them of (overdue), highlighted,
        # and how many of all.
        alerted = (alerted_keys(user.department_id, reminders)
                   if policy.allows(user, Capability.DECIDE) and user.department_id is not None else set())
        context["reminders"] = Newest([{"reminder": r, "overdue": r.key in alerted}
                                       for r in reminders[:HOME_REMINDER_MAX]], len(reminders))
        context["overdue_count"] = sum(1 for r in reminders if r.key in alerted)
        if policy.allows(user, Capability.DECIDE):
            context["queue_count"] = approval_queue(actor=user).count()
        if policy.allows(user, Capability.PROVISION):  # a count, no person: not a read (as the queue's)
            context["pending_provisions"] = pending_provision_decision_count(actor=user)
    if policy.allows(user, Capability.OPERATE_SYNC):
        context["without_approver"] = departments_without_approver(actor=user)
        context["fallback_department"] = fallback_approver_department()
    if policy.allows(user, Capability.AUDIT):
        context["overdue_notices"] = overdue_notice_total(actor=user)
    return render(request, "accounts/home.html", context)
