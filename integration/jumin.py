"""住基DV等支援措置 pushed by the 住民記録 system (DOMAIN.md §2: every 支援措置 person must be a target).

- start / extend: the person becomes, or stays, a target. A new person is registered as a
  pending target of the calling system's department with a pending set request (from that
  moment the inquiry-time check protects) and a review task to assess the case types. A
  person whose record was released, rejected or withdrawn is reopened the same way.
- end: the period is recorded and a review task goes to the owning department. Nothing is
  released: only a person decides a release, through the four-eyes flow.

One push is one transaction: every item is validated first, and either all apply or none."""
import datetime
from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.access import require_victim_staff
from audit.services import audit_record
from config.errors import Conflict, DomainError, ValidationFailed
from flags.models import ChangeAction, ChangeRequest, ChangeStatus
from victims.models import PROTECTING_STATUSES, Basis, HarmType, Target, TargetStatus
from victims.normalize import normalize_atena_no, normalize_kana, normalize_name

from .models import ReviewTask, ReviewTaskKind

EVENTS = ("start", "extend", "end")
MAX_ITEMS = 10_000
TARGET_PERMS = ("victims.view_target", "victims.change_target")


@dataclass
class JuminItem:
    atena_no: str
    event: str
    start: datetime.date | None
    end: datetime.date | None
    name: str = ""
    name_kana: str = ""
    birth_date: datetime.date | None = None
    harm_types: tuple = (HarmType.OTHER,)


def _date(raw, key, errors, required):
    if raw in (None, ""):
        if required:
            errors[key] = "日付を指定してください（YYYY-MM-DD）。"
        return None
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError:
        errors[key] = "日付は YYYY-MM-DD の形式で指定してください。"
        return None


def parse_jumin_push(payload) -> list[JuminItem]:
    """Validate every item; errors are keyed `measures[i].field`. Duplicate atena numbers
    in one push are refused (which one wins would be a guess)."""
    raw_items = payload.get("measures") if isinstance(payload, dict) else None
    if not isinstance(raw_items, list) or not raw_items:
        raise ValidationFailed({"measures": "支援措置の配列を指定してください。"})
    if len(raw_items) > MAX_ITEMS:
        raise ValidationFailed({"measures": f"一度に送信できるのは {MAX_ITEMS:,} 件までです。"})
    errors: dict[str, str] = {}
    items: list[JuminItem] = []
    first_index: dict[str, int] = {}
    for i, raw in enumerate(raw_items):
        p = f"measures[{i}]"
        if not isinstance(raw, dict):
            errors[p] = "オブジェクトで指定してください。"
            continue
        try:
            atena_no = normalize_atena_no(raw.get("atena_no"))
        except DomainError as exc:
            errors[f"{p}.atena_no"] = exc.message
            continue
        if atena_no in first_index:
            errors[f"{p}.atena_no"] = f"同じ宛名番号が measures[{first_index[atena_no]}] と重複しています。"
            continue
        first_index[atena_no] = i
        event = raw.get("event")
        if event not in EVENTS:
            errors[f"{p}.event"] = "event は start / extend / end のいずれかです。"
            continue
        start = _date(raw.get("start"), f"{p}.start", errors, required=event == "start")
        end = _date(raw.get("end"), f"{p}.end", errors, required=event in ("extend", "end"))
        if start and end and end < start:
            errors[f"{p}.end"] = "終了日が開始日より前です。"
        item = JuminItem(atena_no=atena_no, event=event, start=start, end=end)
        if event != "end" and any(raw.get(k) for k in ("name", "name_kana", "birth_date")):
            for key, fn in (("name", normalize_name), ("name_kana", normalize_kana)):
                try:
                    setattr(item, key, fn(raw.get(key), f"{p}.{key}"))
                except DomainError as exc:
                    errors[exc.field] = exc.message
            item.birth_date = _date(raw.get("birth_date"), f"{p}.birth_date", errors, required=True)
            harm = raw.get("harm_types") or [HarmType.OTHER]
            if not isinstance(harm, list) or any(h not in HarmType.values for h in harm):
                errors[f"{p}.harm_types"] = "被害の種類に不明な値があります。"
            else:
                item.harm_types = tuple(sorted(set(harm)))
        items.append(item)
    if errors:
        raise ValidationFailed(errors)
    return items


@transaction.atomic
def jumin_support_apply(*, actor, items: list[JuminItem]) -> list[dict]:
    """Apply a validated push. Row locks in atena_no order, so two pushes cannot deadlock."""
    require_victim_staff(actor)
    now = timezone.now()
    by_atena = {t.atena_no: t for t in Target.objects.select_for_update()
                .filter(atena_no__in=[i.atena_no for i in items]).order_by("atena_no")}
    missing_identity = [
        i for i, item in enumerate(items)
        if item.event != "end" and item.atena_no not in by_atena and not (item.name and item.birth_date)
    ]
    if missing_identity:
        raise ValidationFailed({f"measures[{i}].name": "未登録の方のため、氏名・氏名カナ・生年月日が必要です。"
                                for i in missing_identity})
    results = []
    for item in items:
        target = by_atena.get(item.atena_no)
        if item.event == "end" and target is None:
            results.append({"atena_no": item.atena_no, "event": "end", "result": "no_target"})
        elif item.event == "end":
            results.append(_end(actor, item, target, now))
        elif target is None:
            try:
                with transaction.atomic():
                    results.append(_create(actor, item, now))
            except IntegrityError:  # registered concurrently (counter or another push): nothing applied
                raise Conflict("同じ宛名番号が同時に登録されました。もう一度送信してください。")
        else:
            results.append(_start_or_extend(actor, item, target, now))
    # One event for the push as a whole (counts only); each changed target has its own event above.
    audit_record(actor=actor, action="jumin.push",
                 detail={"items": len(items), "results": dict(Counter(r["result"] for r in results))})
    return results


def _task(actor, target, kind, now) -> ReviewTask:
    return ReviewTask.objects.create(target=target, department=target.owning_department, kind=kind,
                                     created_at=now, created_by=actor)


def _pending_set_request(actor, target, now) -> ChangeRequest:
    existing = ChangeRequest.objects.filter(target=target, action=ChangeAction.SET, status=ChangeStatus.PENDING).first()
    return existing or ChangeRequest.objects.create(
        target=target, action=ChangeAction.SET, department=target.owning_department, requested_by=actor,
        requested_at=now, comment="住基DV等支援措置の連携による設定申請",
    )


def _create(actor, item: JuminItem, now) -> dict:
    target = Target.objects.create(
        atena_no=item.atena_no, name=item.name, name_kana=item.name_kana or "", birth_date=item.birth_date,
        harm_types=list(item.harm_types), owning_department=actor.department,
        is_victim=True, is_victim_confirmed_by=actor, is_victim_confirmed_at=now,
        fled=True, fled_confirmed_by=actor, fled_confirmed_at=now,
        basis=Basis.EX_OFFICIO, basis_confirmed_by=actor, basis_confirmed_at=now,
        jumin_support_active=True, jumin_support_start=item.start, jumin_support_end=item.end,
        created_by=actor,
    )
    for perm in TARGET_PERMS:
        assign_perm(perm, actor.department.group, target)
    change_request = _pending_set_request(actor, target, now)
    task = _task(actor, target, ReviewTaskKind.INTAKE_REQUIRED, now)
    audit_record(actor=actor, action="jumin.support_start", target_id=target.pk, detail={
        "event": item.event, "result": "created", "change_request_id": change_request.pk, "review_task_id": task.pk})
    return {"atena_no": item.atena_no, "event": item.event, "result": "created"}


def _start_or_extend(actor, item: JuminItem, target: Target, now) -> dict:
    target.jumin_support_active = True
    if item.start:
        target.jumin_support_start = item.start
    target.jumin_support_end = item.end
    detail = {"event": item.event}
    if target.status in PROTECTING_STATUSES:
        result = "updated"
    else:
        # Released / rejected / withdrawn earlier: a 支援措置 person must be a target again.
        target.status = TargetStatus.PENDING
        detail["change_request_id"] = _pending_set_request(actor, target, now).pk
        detail["review_task_id"] = _task(actor, target, ReviewTaskKind.JUMIN_REOPENED, now).pk
        result = "reopened"
    target.save(update_fields=["jumin_support_active", "jumin_support_start", "jumin_support_end", "status",
                               "updated_at"])
    detail["result"] = result
    audit_record(actor=actor, action=f"jumin.support_{item.event}", target_id=target.pk, detail=detail)
    return {"atena_no": item.atena_no, "event": item.event, "result": result}


def _end(actor, item: JuminItem, target: Target, now) -> dict:
    target.jumin_support_active = False
    target.jumin_support_end = item.end
    target.save(update_fields=["jumin_support_active", "jumin_support_end", "updated_at"])
    # Never a release: the owning department reviews whether protection is still needed.
    task = _task(actor, target, ReviewTaskKind.JUMIN_ENDED, now)
    audit_record(actor=actor, action="jumin.support_end", target_id=target.pk,
                 detail={"event": "end", "result": "review_task_created", "review_task_id": task.pk})
    return {"atena_no": item.atena_no, "event": "end", "result": "review_task_created"}
