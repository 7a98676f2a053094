"""A staff token carries the rights of the account as they were when it was issued: when the
role, the department or the account's being active changes, its tokens are revoked, however
the change was made (staff_create, a shell, a future admin screen), because every such change
goes through Staff.save(). Queryset .update() does not; a deactivation made that way is still
refused at the next API call (the token lookup requires an active account)."""
from django.db.models.signals import pre_save
from django.dispatch import receiver

from .models import RevokeReason, Staff
from .services import api_tokens_revoke_for

_WATCHED = ("role", "department_id", "is_active")


@receiver(pre_save, sender=Staff)
def _revoke_tokens_on_rights_change(sender, instance: Staff, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"role", "department", "department_id", "is_active"} & set(update_fields):
        return  # e.g. last_login at every login: no extra query
    before = Staff.objects.filter(pk=instance.pk).values(*_WATCHED).first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        reason = RevokeReason.DEACTIVATION
    elif before["role"] != instance.role:
        reason = RevokeReason.ROLE_CHANGE
    elif before["department_id"] != instance.department_id:
        reason = RevokeReason.DEPARTMENT_CHANGE
    else:
        return
    api_tokens_revoke_for(actor=None, staff_id=instance.pk, reason=reason)
