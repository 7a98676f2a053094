import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.access import require_role, require_victim_staff
from accounts.models import Department, Role
from audit.services import audit_record
from config.errors import DomainError, NotFound, ValidationFailed
from flags.models import ChangeAction, ChangeRequest

from .intake import IntakeData
from .models import CaseAssessment, CaseType, Target
from .selectors import target_lock_for_user

TARGET_PERMS = ("victims.view_target", "victims.change_target")


@transaction.atomic
def target_register(*, actor, data: IntakeData) -> tuple[Target, ChangeRequest]:
    """Intake: the target, its cases and a pending set request, in one transaction.

    Protection at inquiry time starts now; nothing reaches the intermediate server
    before a different person approves."""
    require_victim_staff(actor)
    now = timezone.now()
    if Target.objects.filter(atena_no=data.atena_no).exists():
        raise ValidationFailed({"atena_no": "この団体内統合宛名番号は既に設定対象者として登録されています。登録済みの所属に確認してください。"})
    try:
        with transaction.atomic():
            target = Target.objects.create(
                atena_no=data.atena_no, name=data.name, name_kana=data.name_kana, birth_date=data.birth_date,
                harm_types=data.harm_types, owning_department=actor.department,
                is_victim=True, is_victim_confirmed_by=actor, is_victim_confirmed_at=now,
                fled=data.fled, fled_confirmed_by=actor, fled_confirmed_at=now,
                basis=data.basis, basis_confirmed_by=actor, basis_confirmed_at=now,
                jumin_support_active=data.jumin_support_active, jumin_support_start=data.jumin_support_start,
                jumin_support_end=data.jumin_support_end,
                explained_mynaportal=data.explanations.get("mynaportal", False),
                explained_jumin=data.explanations.get("jumin", False),
                explained_card_suspension=data.explanations.get("card_suspension", False),
                explained_agent_release=data.explanations.get("agent_release", False),
                notes=data.notes, created_by=actor,
            )
    except IntegrityError:  # a concurrent registration of the same person won the race
        raise ValidationFailed({"atena_no": "この団体内統合宛名番号は既に設定対象者として登録されています。"})
    CaseAssessment.objects.bulk_create([
        CaseAssessment(
            target=target, case_type=c.case_type, abuser_atena_no=c.abuser_atena_no, abuser_name=c.abuser_name,
            card_left=c.card_left, smartphone_left=c.smartphone_left, agent_set=c.agent_set,
            legal_representative=c.legal_representative, end_condition=c.end_condition,
        )
        for c in data.cases
    ])
    for perm in TARGET_PERMS:
        assign_perm(perm, actor.department.group, target)
    change_request = ChangeRequest.objects.create(
        target=target, action=ChangeAction.SET, department=actor.department, requested_by=actor, requested_at=now,
    )
    audit_record(actor=actor, action="target.register", target_id=target.pk,
                 detail={"change_request_id": change_request.pk, "cases": [c.case_type for c in data.cases]})
    return target, change_request


@transaction.atomic
def target_grant_department(*, actor, target_id: int, department_code: str) -> None:
    """The owning department's head may share the full record with another department."""
    require_role(actor, Role.APPROVER)
    target = target_lock_for_user(actor=actor, target_id=target_id)
    department = Department.objects.filter(code=department_code).first()
    if department is None:
        raise DomainError("所属が見つかりません。", "department")
    if actor.department_id != target.owning_department_id:
        raise NotFound()
    for perm in TARGET_PERMS:
        assign_perm(perm, department.group, target)
    audit_record(actor=actor, action="target.grant", target_id=target.pk, detail={"department": department.code})


PROCEDURES = {
    "card": ("card_left", "card_suspension_confirmed_on", "card_suspension_confirmed_by"),
    "smartphone": ("smartphone_left", "smartphone_suspension_confirmed_on", "smartphone_suspension_confirmed_by"),
    "agent": ("agent_set", "agent_release_confirmed_on", "agent_release_confirmed_by"),
    "representation": (None, "representation_ended_on", "representation_ended_confirmed_by"),
}


@transaction.atomic
def case_confirm_procedure(*, actor, case_id: int, procedure: str, confirmed_on: datetime.date) -> CaseAssessment:
    """Record that a ②-I suspension procedure, or the end of ②-II representation, is confirmed."""
    require_victim_staff(actor)
    case = CaseAssessment.objects.filter(pk=case_id).values("target_id").first()
    if case is None:
        raise NotFound()
    target_lock_for_user(actor=actor, target_id=case["target_id"])
    case = CaseAssessment.objects.select_for_update().get(pk=case_id)
    if procedure not in PROCEDURES:
        raise DomainError("確認する手続の種類が正しくありません。", "procedure")
    applies_to, date_field, by_field = PROCEDURES[procedure]
    expected_type = CaseType.C2_II if procedure == "representation" else CaseType.C2_I
    if case.case_type != expected_type or (applies_to and not getattr(case, applies_to)):
        raise DomainError("この類型には該当しない手続です。", "procedure")
    if not case.active:
        raise DomainError("既に終了した類型です。", "procedure")
    if confirmed_on > timezone.localdate():
        raise DomainError("確認日が未来の日付です。", "confirmed_on")
    setattr(case, date_field, confirmed_on)
    setattr(case, by_field, actor)
    case.save(update_fields=[date_field, by_field])
    audit_record(actor=actor, action="case.confirm_procedure", target_id=case.target_id,
                 detail={"case_id": case.pk, "procedure": procedure})
    return case
