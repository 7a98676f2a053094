"""Bulk inquiry-time check: up to 1,000,000 atena numbers in one call.

The protected set is loaded with one query (flags.protection, the same rule as the single
check) and every number is answered from it in memory; never one query per number. The
whole call is one audit event with counts (no numbers, no names) and a row per target the
numbers matched (ids only, audit.hits), so "who has seen this person" finds it."""
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from audit.actions import AuditAction
from audit.hits import audit_record_hits
from audit.services import require_capability
from core.errors import DomainError, ValidationFailed
from core.metrics import BULK_NUMBERS, CHECK_SECONDS
from core.normalize import normalize_atena_no
from core.policy import Capability
from core.tabular import Column, Kind, Table, xlsx_bytes
from core.uploads import (
    MAX_REPORTED,
    LineBudget,
    LineReport,
    detect_encoding,
    first_field,
    iter_line_chunks,
    max_numbers,
    parse_line,
)

from . import protection
from .quota import bulk_quota_require


@dataclass
class BulkInput:
    numbers: list[str]
    report: LineReport = field(default_factory=LineReport)
    source: str = "json"
    encoding: str = ""


def _too_many(limit: int) -> DomainError:
    return DomainError(f"一度に確認できるのは {limit:,} 件までです。分割して送信してください。", "atena_nos")


def bulk_input_from_list(values) -> BulkInput:
    """A JSON list: every element must be a string of 15 digits (full-width accepted).
    A malformed element refuses the whole call, naming each bad index (nothing half-processed)."""
    if not isinstance(values, list) or not values:
        raise ValidationFailed({"atena_nos": "団体内統合宛名番号の配列を指定してください。"})
    limit = max_numbers()
    if len(values) > limit:
        raise _too_many(limit)
    numbers: list[str] = []
    errors: dict[str, str] = {}
    append = numbers.append
    for index, value in enumerate(values):
        if type(value) is str and len(value) == 15 and value.isascii() and value.isdigit():
            append(value)
            continue
        if type(value) is not str:
            message = "文字列で指定してください（先頭の0が失われないように）。"
        else:
            try:
                append(normalize_atena_no(value))
                continue
            except DomainError as exc:
                message = exc.message
        if len(errors) < MAX_REPORTED:
            errors[f"atena_nos[{index}]"] = message
        else:
            errors.setdefault("atena_nos", "誤りが多いため一部のみ表示しています。")
    if errors:
        raise ValidationFailed(errors)
    result = BulkInput(numbers=numbers)
    _report_duplicates(result, offset=0)
    return result


def bulk_input_from_file(fileobj, *, refuse_malformed: bool = True) -> BulkInput:
    """A CSV/TXT upload: the atena_no is the first column; an optional header line;
    blank lines ignored. Malformed lines refuse the whole call, by line number, unless
    `refuse_malformed` is False: then they are reported (report.malformed) and the rest is
    checked. Which one is the caller's to decide (ADR 0050): a clerk's screen reports, a
    system client's API refuses (its file is generated, a bad line means a broken export)."""
    encoding = detect_encoding(fileobj)
    limit = max_numbers()
    budget = LineBudget()
    numbers: list[str] = []
    report = LineReport()
    append = numbers.append
    line_no = 0
    for lines, _ in iter_line_chunks(fileobj):
        budget.check_line(line_no + len(lines))  # per chunk: the hot loop stays free of it
        for line in lines:
            line_no += 1
            raw = first_field(line)
            if len(raw) == 15 and raw.isdigit():
                append(raw.decode("ascii"))
                continue
            parsed = parse_line(raw, encoding, line_no)
            if parsed.kind == "number":
                append(parsed.value)
            elif parsed.kind == "malformed":
                report.add_malformed(line_no, parsed.message)
                budget.check_malformed(report, line_no)
        if len(numbers) > limit:
            raise _too_many(limit)
    if report.malformed_count and refuse_malformed:
        errors = {f"file:{m['line']}": m["message"] for m in report.malformed}
        errors["file"] = (f"形式に誤りのある行が {report.malformed_count:,} 行あるため、"
                          "ファイル全体を受け付けませんでした。")
        raise ValidationFailed(errors)
    if not numbers:
        raise ValidationFailed({"file": "団体内統合宛名番号が1件も含まれていません。"})
    result = BulkInput(numbers=numbers, report=report, source="file", encoding=encoding)
    _report_duplicates(result, offset=0)
    return result


def _report_duplicates(bulk: BulkInput, offset: int) -> None:
    """Duplicates are answered (each position gets its result) and reported by input index."""
    if len(set(bulk.numbers)) == len(bulk.numbers):
        return
    seen: set[str] = set()
    for index, number in enumerate(bulk.numbers):
        if number in seen:
            bulk.report.add_duplicate(index + offset)
        else:
            seen.add(number)


@dataclass
class BulkResult:
    direction: str
    numbers: list[str]
    required: frozenset[str]
    required_count: int
    report: LineReport


def bulk_inquiry_check(*, actor, bulk: BulkInput, direction: str) -> BulkResult:
    """Yes/no per number, in input order, never why. Linkage departments only, within the
    caller's daily quota. The event names every target the numbers matched (by id, as the
    single check does), whatever the answer."""
    require_capability(actor, Capability.CHECK, action=AuditAction.INQUIRY_BULK_CHECK, detail={"direction": direction})
    bulk_quota_require(actor=actor, action=AuditAction.INQUIRY_BULK_CHECK, numbers=len(bulk.numbers))
    with CHECK_SECONDS.labels("bulk").time():
        protected = protection.protected_set([direction])
        required = protected.requires(direction)
        required_count = sum(1 for n in bulk.numbers if n in required)
        target_ids = protected.target_ids
        hits = [target_ids[n] for n in target_ids.keys() & set(bulk.numbers)]
        audit_record_hits(actor=actor, action=AuditAction.INQUIRY_BULK_CHECK, target_ids=hits, detail={
            "direction": direction, "source": bulk.source, "count": len(bulk.numbers),
            "required_count": required_count, "duplicate_count": bulk.report.duplicate_count,
        })
    BULK_NUMBERS.inc(len(bulk.numbers))
    return BulkResult(direction=direction, numbers=bulk.numbers, required=required,
                      required_count=required_count, report=bulk.report)


_TRUE_TAIL = '","nondisclosure_code_required":true}'
_FALSE_TAIL = '","nondisclosure_code_required":false}'


def render_json(result: BulkResult) -> bytes:
    """The response body, built directly: a generic JSON encoder over a million dicts
    would dominate the time of the whole call."""
    required = result.required
    head = json.dumps({
        "direction": result.direction,
        "count": len(result.numbers),
        "required_count": result.required_count,
        "duplicates": {"count": result.report.duplicate_count, "indexes": result.report.duplicates},
    }, ensure_ascii=False)[:-1]
    items = ",".join([('{"atena_no":"' + n + (_TRUE_TAIL if n in required else _FALSE_TAIL)) for n in result.numbers])
    return (head + ',"results":[' + items + "]}").encode()


# The screen's download, as CSV for Excel and as xlsx: one set of columns, one row source.
RESULT_COLUMNS = (Column("宛名番号", Kind.ID, 18), Column("不開示コード要否（1=要）", Kind.NUMBER, 24))


def result_rows(result: BulkResult) -> Iterator[tuple[str, int]]:
    required = result.required
    return ((n, 1 if n in required else 0) for n in result.numbers)


def result_table(result: BulkResult) -> Table:
    return Table(RESULT_COLUMNS, result_rows(result), sheet="照会時確認の結果")


def render_csv(result: BulkResult, *, for_excel: bool = False) -> bytes:
    """The answers, one line per number in input order. `for_excel` (the screen's download,
    ADR 0051): a BOM and each 宛名番号 as a text formula ="…", so that Excel neither shows
    15 digits as 1.23E+14 nor drops a leading 0; the API's CSV stays plain for programs.
    Joined directly rather than through csv.writer: a million lines in well under a second
    (the cells are our own digits, nothing to quote)."""
    if for_excel:
        head = ",".join(c.header for c in RESULT_COLUMNS)
        rows = "\r\n".join([f'="{n}",{v}' for n, v in result_rows(result)])
        return ("\ufeff" + head + "\r\n" + rows + "\r\n").encode()
    rows = "\r\n".join([f"{n},{v}" for n, v in result_rows(result)])
    return ("atena_no,nondisclosure_code_required\r\n" + rows + "\r\n").encode()


def render_xlsx(result: BulkResult) -> bytes:
    """The same answers as an Excel workbook (ADR 0059): each 宛名番号 a text cell."""
    return xlsx_bytes(result_table(result))
