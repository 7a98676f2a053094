"""転出 設定依頼 (ADR 0040): when the person moves on to another municipality, the owning
department asks that municipality to set its own measures, prints the letter, and records
when the municipality confirmed it did (until then, REMINDER_ONWARD_FOLLOWUP_DAYS after the
request, a reminder follows it up).

Issuing a request changes no protection here: the flags and the inquiry check stay as they
are until a release is requested and approved with four eyes. Only the owning department
sees, issues, confirms and prints requests (anyone else: the same 404 as for no target).

Where the person went is the most sensitive fact there is (DOMAIN.md §1): the audit log
names the request by id and never the municipality; the letter's title (a saved PDF's
name) is `settei-irai-<id>`. The letter says what the receiving municipality must set and
nothing more: no harm type, no case, no abuser, no 団体内統合宛名番号 (ours means nothing there)."""
import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record, audited_atomic
from core import policy
from core.errors import DomainError, ValidationFailed
from core.normalize import parse_date, refuse_control_characters
from core.policy import Capability
from flags import rules

from .models import PROTECTING_STATUSES, OnwardRequest, Target
from .selectors import object_id, refuse

MUNICIPALITY_NAME_MAX = 100
NOTE_MAX = 1000
_CODE = re.compile(r"^[0-9]{6}$")  # 全国地方公共団体コード (5 digits and a check digit)
_NOT_PROTECTED = "設定中または承認待ちの対象者についてのみ、転出先への設定依頼を作成できます。"


def _owned(actor: Staff, target_id: object, action: AuditAction, queryset: QuerySet[Target]) -> Target:
    pk = object_id(target_id)
    target = queryset.filter(policy.owned_target_scope(actor), pk=pk).first() if pk is not None else None
    if target is None:
        raise refuse(actor=actor, action=action, target_id=pk)
    return target


def _request_of(actor: Staff, target: Target, onward_id: object, action: AuditAction,
                queryset: QuerySet[OnwardRequest] | None = None) -> OnwardRequest:
    pk = object_id(onward_id)
    qs = queryset if queryset is not None else OnwardRequest.objects.all()
    onward = qs.filter(pk=pk, target=target).first() if pk is not None else None
    if onward is None:
        raise refuse(actor=actor, action=action, target_id=target.pk, detail={"onward_request_id": pk})
    return onward


def onward_requests_for(*, actor: Staff, target_id: object, via: str = "screen") -> tuple[Target, list[OnwardRequest]]:
    """The target (owned by the actor's department) and its requests, newest first. Recorded as a read."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target = _owned(actor, target_id, AuditAction.ONWARD_REQUEST_LIST, Target.objects.all())
    rows = list(OnwardRequest.objects.filter(target=target).select_related("issued_by", "confirmed_by"))
    audit_record(actor=actor, action=AuditAction.ONWARD_REQUEST_LIST, target_id=target.pk,
                 detail={"via": via, "count": len(rows)})
    return target, rows


def open_onward_count(target: Target) -> int:
    """How many of the target's requests await the receiving municipality's confirmation (for
    the target page of the owning department, which has read, and audited, the target)."""
    return OnwardRequest.objects.filter(target=target, confirmed_at__isnull=True).count()


@dataclass(frozen=True)
class OnwardInput:
    municipality_name: str
    municipality_code: str
    moved_on: datetime.date
    note: str


def _text(payload: dict, key: str, errors: dict[str, str], *, label: str, limit: int) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = f"{label}は文字列で指定してください。"
        return ""
    text = value.strip()
    if len(text) > limit:
        errors[key] = f"{label}は{limit}文字以内で入力してください。"
        return ""
    try:
        refuse_control_characters(text.replace("\r", "").replace("\n", "").replace("\t", ""), key, label)
    except DomainError as exc:
        errors[key] = exc.message
        return ""
    return text


def parse_onward(payload: object) -> OnwardInput:
    """`{municipality_name, municipality_code?, moved_on, note?}`, every error at once in Japanese."""
    if not isinstance(payload, dict):
        raise ValidationFailed({"non_field": "設定依頼の内容はオブジェクトで指定してください。"})
    errors: dict[str, str] = {}
    name = _text(payload, "municipality_name", errors, label="転出先の市区町村名", limit=MUNICIPALITY_NAME_MAX)
    if not name and "municipality_name" not in errors:
        errors["municipality_name"] = "転出先の市区町村名を入力してください（例：〇〇県〇〇市）。"
    code = _text(payload, "municipality_code", errors, label="地方公共団体コード", limit=6)
    if code and not _CODE.match(code):
        errors["municipality_code"] = "地方公共団体コードは6桁の数字で入力してください（不明な場合は空欄）。"
    moved = parse_date(payload.get("moved_on"), "moved_on", errors, "転出日（予定日）")
    note = _text(payload, "note", errors, label="備考", limit=NOTE_MAX)
    if errors or moved is None:
        raise ValidationFailed(errors)
    return OnwardInput(municipality_name=name, municipality_code=code, moved_on=moved, note=note)


@audited_atomic
def onward_request_issue(*, actor: Staff, target_id: object, payload: object) -> OnwardRequest:
    """A 設定依頼 to the municipality the person moves to. Protection here stays as it is."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target = _owned(actor, target_id, AuditAction.ONWARD_REQUEST_ISSUE, Target.objects.select_for_update())
    data = parse_onward(payload)
    if target.status not in PROTECTING_STATUSES:
        raise DomainError(_NOT_PROTECTED)
    onward = OnwardRequest.objects.create(
        target=target, municipality_name=data.municipality_name, municipality_code=data.municipality_code,
        moved_on=data.moved_on, note=data.note, issued_by=actor, issued_at=timezone.now())
    # The id only: where the person went never reaches the log.
    audit_record(actor=actor, action=AuditAction.ONWARD_REQUEST_ISSUE, target_id=target.pk,
                 detail={"onward_request_id": onward.pk})
    return onward


@audited_atomic
def onward_request_confirm(*, actor: Staff, target_id: object, onward_id: object) -> OnwardRequest:
    """The receiving municipality said it set its measures: who recorded that and when. A
    second confirmation keeps the first."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target = _owned(actor, target_id, AuditAction.ONWARD_REQUEST_CONFIRM, Target.objects.all())
    onward = _request_of(actor, target, onward_id, AuditAction.ONWARD_REQUEST_CONFIRM,
                         OnwardRequest.objects.select_for_update())
    if onward.confirmed_at is None:
        onward.confirmed_at, onward.confirmed_by = timezone.now(), actor
        onward.save(update_fields=["confirmed_at", "confirmed_by"])
        audit_record(actor=actor, action=AuditAction.ONWARD_REQUEST_CONFIRM, target_id=target.pk,
                     detail={"onward_request_id": onward.pk})
    return onward


@dataclass(frozen=True)
class OnwardLetter:
    onward: OnwardRequest
    target: Target
    municipality: str  # ours, the sender
    department: str
    measures: rules.Measures | None  # None: no active case (nothing to set)
    today: datetime.date

    @property
    def file_stem(self) -> str:
        return self.onward.file_stem


def onward_request_letter(*, actor: Staff, target_id: object, onward_id: object) -> OnwardLetter:
    """The printable letter: who the person is (氏名, カナ, 生年月日: what the receiving
    municipality needs to find them) and the measures the current cases require. Showing it
    is recorded as a read of the person."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target = _owned(actor, target_id, AuditAction.ONWARD_REQUEST_LETTER,
                    Target.objects.select_related("owning_department"))
    onward = _request_of(actor, target, onward_id, AuditAction.ONWARD_REQUEST_LETTER,
                         OnwardRequest.objects.select_related("issued_by"))
    cases = [c for c in target.cases.all() if c.active]
    audit_record(actor=actor, action=AuditAction.ONWARD_REQUEST_LETTER, target_id=target.pk,
                 detail={"onward_request_id": onward.pk, "via": "screen"})
    return OnwardLetter(onward=onward, target=target, municipality=settings.MUNICIPALITY_NAME,
                        department=target.owning_department.name,
                        measures=rules.required_measures(cases, settings.FLAG_POLICY) if cases else None,
                        today=timezone.localdate())
