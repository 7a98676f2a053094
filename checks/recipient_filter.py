"""お知らせ 宛先ファイル filter (DOMAIN.md §3, last note).

The department's file comes back byte for byte — same encoding, BOM, line endings, other
columns and order — minus the lines of targets who must not receive notices, and minus
malformed lines (an unreadable number cannot be vouched for: when in doubt, protect),
which are reported by line number. Nothing of the upload is kept: the audit event holds
counts, and the ids of the targets the file named (audit.hits), never numbers."""
from dataclasses import dataclass, field

from audit.actions import AuditAction
from audit.hits import audit_record_hits
from audit.services import require_capability
from core.errors import ValidationFailed
from core.policy import Capability
from core.uploads import BOM, LineBudget, LineReport, detect_encoding, first_field, iter_line_chunks, parse_line

from . import protection
from .quota import bulk_quota_require


@dataclass
class FilterResult:
    encoding: str
    content: list[bytes] = field(default_factory=list)  # output pieces, to be joined or streamed
    line_count: int = 0
    record_count: int = 0
    kept_count: int = 0
    removed_count: int = 0
    report: LineReport = field(default_factory=LineReport)


def recipient_filter(*, actor, fileobj) -> FilterResult:
    require_capability(actor, Capability.CHECK, action=AuditAction.RECIPIENT_FILTER_RUN)
    encoding = detect_encoding(fileobj)
    rule = protection.notice_set()
    excluded = frozenset(a.encode() for a in rule.excluded)
    result = FilterResult(encoding=encoding)
    report = result.report
    out = result.content
    seen: set[bytes] = set()
    line_no = 0
    removed = records = 0
    first_line_bom_only = False
    budget = LineBudget()
    for lines, last_without_newline in iter_line_chunks(fileobj):
        budget.check_line(line_no + len(lines))  # per chunk: the hot loop stays free of it
        kept: list[bytes] = []
        keep = kept.append
        for line in lines:
            line_no += 1
            raw = first_field(line)
            if not (len(raw) == 15 and raw.isdigit()):
                parsed = parse_line(raw[3:] if line_no == 1 and raw.startswith(b"\xef\xbb\xbf") else raw,
                                    encoding, line_no)
                if parsed.kind in ("blank", "header"):
                    keep(line)
                    continue
                if parsed.kind == "malformed":
                    report.add_malformed(line_no, parsed.message)
                    budget.check_malformed(report, line_no)
                    if line_no == 1 and line.startswith(BOM):
                        keep(BOM)
                        first_line_bom_only = True
                    continue
                raw = parsed.value.encode()
            records += 1
            if raw in seen:
                report.add_duplicate(line_no)
            else:
                seen.add(raw)
            if raw in excluded:
                removed += 1
                if line_no == 1 and line.startswith(BOM):
                    keep(BOM)  # the file keeps its BOM even when its first record goes
                    first_line_bom_only = True
                continue
            keep(line)
        if first_line_bom_only:
            out.append(kept.pop(0))
            first_line_bom_only = False
        if kept:
            out.append(b"\n".join(kept) + (b"" if last_without_newline else b"\n"))
    if records == 0:
        raise ValidationFailed({"file": "団体内統合宛名番号が1件も含まれていません。"})
    result.line_count, result.record_count, result.removed_count = line_no, records, removed
    result.kept_count = records - removed
    bulk_quota_require(actor=actor, action=AuditAction.RECIPIENT_FILTER_RUN, numbers=records)
    # Every target the file named, removed or kept: the department has looked each one up.
    hits = [target_id for number, target_id in rule.target_ids.items() if number.encode() in seen]
    audit_record_hits(actor=actor, action=AuditAction.RECIPIENT_FILTER_RUN, target_ids=hits, detail={
        "encoding": encoding, "lines": line_no, "records": records, "removed": removed,
        "malformed": report.malformed_count, "duplicates": report.duplicate_count,
    })
    return result
