from django.db.models import QuerySet

from accounts.access import require_victim_staff
from accounts.models import Staff
from audit.services import audit_record

from .models import ReviewTask, ReviewTaskStatus


def review_tasks_for(*, actor: Staff, include_done: bool = False) -> QuerySet[ReviewTask]:
    """The actor's department's review tasks (ids and kinds only; opening the target is audited there)."""
    require_victim_staff(actor)
    qs = ReviewTask.objects.filter(department=actor.department_id)
    if not include_done:
        qs = qs.filter(status=ReviewTaskStatus.OPEN)
    audit_record(actor=actor, action="review_task.list", detail={"include_done": include_done})
    return qs.order_by("created_at", "id")
