"""The 住民記録 system's push of 住基DV等支援措置, parsed (DOMAIN.md §2: every 支援措置 person
must be a target). Only parsing and validation here: victims.services.jumin_support_apply
applies a validated push (registration, reopening, review tasks) in one transaction."""
from typing import Any

from core.errors import DomainError, ValidationFailed
from core.normalize import normalize_atena_no, normalize_kana, normalize_name, normalize_standard_atena_no, parse_date
from victims.models import HarmType
from victims.services import JuminSupport

EVENTS = ("start", "extend", "end")
MAX_ITEMS = 10_000


def parse_jumin_push(payload) -> list[JuminSupport]:
    """Validate every item; errors are keyed `measures[i].field`. Duplicate atena numbers
    in one push are refused (which one wins would be a guess)."""
    raw_items = payload.get("measures") if isinstance(payload, dict) else None
    if not isinstance(raw_items, list) or not raw_items:
        raise ValidationFailed({"measures": "支援措置の配列を指定してください。"})
    if len(raw_items) > MAX_ITEMS:
        raise ValidationFailed({"measures": f"一度に送信できるのは {MAX_ITEMS:,} 件までです。"})
    errors: dict[str, str] = {}
    items: list[JuminSupport] = []
    first_index: dict[str, int] = {}
    standard_index: dict[str, int] = {}
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
        try:  # the 住民記録 system's own 宛名番号 (住民宛名番号), optional (ADR 0046)
            standard = normalize_standard_atena_no(raw.get("standard_atena_no"), f"{p}.standard_atena_no")
        except DomainError as exc:
            errors[f"{p}.standard_atena_no"] = exc.message
            continue
        if standard is not None and standard in standard_index:
            errors[f"{p}.standard_atena_no"] = (
                f"同じ宛名番号（標準準拠システム）が measures[{standard_index[standard]}] と重複しています。")
            continue
        if standard is not None:
            standard_index[standard] = i
        event = raw.get("event")
        if event not in EVENTS:
            errors[f"{p}.event"] = "event は start / extend / end のいずれかです。"
            continue
        start = parse_date(raw.get("start"), f"{p}.start", errors, "開始日", required=event == "start")
        end = parse_date(raw.get("end"), f"{p}.end", errors, "終了日", required=event in ("extend", "end"))
        if start and end and end < start:
            errors[f"{p}.end"] = "終了日が開始日より前です。"
        identity: dict[str, Any] = {}
        if event != "end" and any(raw.get(k) for k in ("name", "name_kana", "birth_date")):
            for key, fn in (("name", normalize_name), ("name_kana", normalize_kana)):
                try:
                    identity[key] = fn(raw.get(key), f"{p}.{key}")
                except DomainError as exc:
                    errors[exc.field or p] = exc.message
            identity["birth_date"] = parse_date(raw.get("birth_date"), f"{p}.birth_date", errors, "生年月日")
            harm = raw.get("harm_types") or [HarmType.OTHER]
            if not isinstance(harm, list) or any(h not in HarmType.values for h in harm):
                errors[f"{p}.harm_types"] = "被害の種類に不明な値があります。"
            else:
                identity["harm_types"] = tuple(sorted(set(harm)))
        items.append(JuminSupport(atena_no=atena_no, event=event, start=start, end=end, standard_atena_no=standard,
                                  **identity))
    if errors:
        raise ValidationFailed(errors)
    return items
