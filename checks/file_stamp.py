"""Stamping inquiry request files with 不開示コード (ADR 0044) and checking manual-provision
files (ADR 0045): the same engine over a fixed-width layout (checks.file_layouts).

The file comes back byte for byte, except the code field of every line whose person needs
the code (checks.protection.protected_set(), either number of the line: 宛名番号 or
統合宛名番号), which is set to the layout's 不開示 value. A code already set is never cleared.
A malformed file — a line of the wrong length, a separator out of place, undecodable bytes,
a number that is not 15 digits, a code that is neither value — is refused whole, with line
numbers: nothing half-stamped goes to the 中間サーバー.

Built for 1,000,000 lines: the file is read from its spooled upload in chunks of whole
lines, each chunk checked with C-speed byte operations (a strided slice per separator and
line-ending byte, one `isdigit` over the joined number column, one `isascii` before any
decoding), the changed bytes patched in a bytearray and written to a temporary file that the
response streams. Lines are never decoded to str on this path; a chunk that fails a check
sends the whole file down a slow line-by-line pass that only names the bad lines."""
import tempfile
from dataclasses import dataclass, field

from django.conf import settings

from audit.actions import AuditAction
from audit.hits import audit_record_hits
from audit.services import require_capability
from core.errors import ValidationFailed
from core.policy import Capability
from core.uploads import MAX_REPORTED, LineBudget, LineReport, iter_line_chunks, max_lines
from flags import rules

from . import protection
from .file_layouts import Layout, configured_layout
from .layout_confirmation import require_confirmed
from .quota import bulk_quota_require

CHUNK_LINES = 16384
_BLANK15 = b" " * 15


def max_file_bytes(layout: Layout | None = None) -> int:
    configured = int(getattr(settings, "FILE_STAMP_MAX_UPLOAD_BYTES", 0) or 0)
    if configured:
        return configured
    line_length = (layout or configured_layout("inquiry_request")).line_length
    return max_lines() * line_length + (1 << 20)


@dataclass
class StampResult:
    layout: Layout
    output: object = None  # a temporary file holding the result, at position 0 (None in refuse mode)
    size: int = 0
    line_count: int = 0
    required_count: int = 0  # lines whose person needs the code
    stamped_count: int = 0  # lines whose code this call set to 不開示
    already_count: int = 0  # lines whose code was 不開示 already (whoever the person)
    stamped_lines: list[int] = field(default_factory=list)  # 1-based, the first MAX_REPORTED
    hit_numbers: set[bytes] = field(default_factory=set)
    hit_target_ids: list[int] = field(default_factory=list)  # the protecting targets the file named


class _Malformed(Exception):
    """The fast pass met something it cannot vouch for: the slow pass names the lines."""


def _line_problem(layout: Layout, record: bytes) -> str | None:
    """Why one line (without its line ending) is malformed, or None."""
    if len(record) != layout.record_length:
        return f"長さが {len(record):,} バイトです（固定長 {layout.record_length:,} バイト）。"
    sep = layout.separator
    for offset in layout.separator_offsets:
        if record[offset:offset + len(sep)] != sep:
            return f"{offset + 1} バイト目が区切り文字ではありません。"
    if not record.isascii():
        try:
            record.decode(layout.encoding)
        except UnicodeDecodeError:
            return f"文字コード {layout.encoding} として読めないバイトがあります。"
    a, i, c = layout.atena_no, layout.integrated_atena_no, layout.code
    if not record[a.offset:a.offset + 15].isdigit():
        return f"{a.name} が15桁の数字ではありません。"
    integrated = record[i.offset:i.offset + 15]
    if integrated != _BLANK15 and not integrated.isdigit():
        return f"{i.name} が15桁の数字でも空白でもありません。"
    if record[c.offset:c.offset + c.width] not in (layout.nondisclosure, layout.disclosure):
        return f"{c.name} が定義の値（{layout.nondisclosure.decode()} / {layout.disclosure.decode()}）ではありません。"
    return None


def _refuse_malformed(layout: Layout, fileobj) -> None:
    """The slow pass: every bad line by number (the caps of the bulk check apply), then 400."""
    budget = LineBudget()
    report = LineReport()
    eol = layout.line_ending
    line_no = 0
    for lines, last_without_newline in iter_line_chunks(fileobj):
        budget.check_line(line_no + len(lines))
        for index, line in enumerate(lines):
            line_no += 1
            final = last_without_newline and index == len(lines) - 1
            if final:
                record = line
            elif eol == b"\r\n":
                if not line.endswith(b"\r"):
                    report.add_malformed(line_no, "改行が CRLF ではありません。")
                    budget.check_malformed(report, line_no)
                    continue
                record = line[:-1]
            else:
                record = line
            problem = _line_problem(layout, record)
            if problem:
                report.add_malformed(line_no, problem)
                budget.check_malformed(report, line_no)
    errors = {f"file:{m['line']}": m["message"] for m in report.malformed}
    if report.malformed_count:
        errors["file"] = (f"形式に誤りのある行が {report.malformed_count:,} 行あります（行番号は errors のキー）。"
                          "ファイル全体を受け付けていません（一部だけの処理はしません）。")
    else:
        errors["file"] = "ファイルの形式（固定長・区切り・改行）が定義と一致しません。"
    raise ValidationFailed(errors)


def _column(data: bytes, offset: int, width: int, end: int, step: int) -> list[bytes]:
    return [data[s:s + width] for s in range(offset, end, step)]


def _scan(layout: Layout, fileobj, *, lookup: frozenset[bytes], required: frozenset[bytes], out,
          result: StampResult) -> None:
    """The fast pass over whole lines. Raises _Malformed at the first chunk it cannot vouch for."""
    L, R = layout.line_length, layout.record_length
    eol = layout.line_ending
    fileobj.seek(0, 2)
    size = fileobj.tell()
    full, rest = divmod(size, L)
    if rest not in (0, R) or size == 0:
        raise _Malformed
    LineBudget().check_line(full + (1 if rest else 0))
    a_off, i_off = layout.atena_no.offset, layout.integrated_atena_no.offset
    c_off, c_width = layout.code.offset, layout.code.width
    nd, dis = layout.nondisclosure, layout.disclosure
    sep = layout.separator
    line_base = 0
    fileobj.seek(0)
    while data := fileobj.read(CHUNK_LINES * L):
        virtual_eol = len(data) % L == R  # the file's last line has no line ending
        if virtual_eol:
            data += eol
        elif len(data) % L:
            raise _Malformed
        n = len(data) // L
        for p in layout.separator_offsets:
            if data[p::L] != sep * n:
                raise _Malformed
        for k in range(len(eol)):
            if data[R + k::L] != eol[k:k + 1] * n:
                raise _Malformed
        if not data.isascii():
            try:
                data.decode(layout.encoding)
            except UnicodeDecodeError:
                raise _Malformed from None
        end = n * L
        numbers = _column(data, a_off, 15, end, L)
        if not b"".join(numbers).isdigit():
            raise _Malformed
        integrated = _column(data, i_off, 15, end, L)
        joined = b"".join(integrated)
        blank = joined == _BLANK15 * n
        if not blank and not joined.isdigit() and not all(x == _BLANK15 or x.isdigit() for x in integrated):
            raise _Malformed
        codes = data[c_off::L] if c_width == 1 else b"".join(_column(data, c_off, c_width, end, L))
        if c_width == 1:
            if codes.translate(None, nd + dis):
                raise _Malformed
            result.already_count += codes.count(nd)
        else:
            code_list = _column(data, c_off, c_width, end, L)
            if any(c not in (nd, dis) for c in code_list):
                raise _Malformed
            result.already_count += code_list.count(nd)
        hits = [i for i, x in enumerate(numbers) if x in lookup]
        if not blank:
            hits = sorted(set(hits).union(i for i, x in enumerate(integrated) if x in lookup))
        patched: bytearray | None = None
        for i in hits:
            number, other = numbers[i], integrated[i]
            if number in lookup:
                result.hit_numbers.add(number)
            if other in lookup:
                result.hit_numbers.add(other)
            if number not in required and other not in required:
                continue
            result.required_count += 1
            start = i * L + c_off
            if data[start:start + c_width] == nd:
                continue  # already 不開示: never touched, never cleared
            if patched is None:
                patched = bytearray(data)
            patched[start:start + c_width] = nd
            result.stamped_count += 1
            if len(result.stamped_lines) < MAX_REPORTED:
                result.stamped_lines.append(line_base + i + 1)
        if out is not None:
            chunk = patched if patched is not None else data
            out.write(memoryview(chunk)[:len(chunk) - len(eol)] if virtual_eol else chunk)
        line_base += n
    result.line_count = line_base
    result.size = size


def _run(*, actor, fileobj, kind: str, direction: str, action: AuditAction, keep_output: bool) -> StampResult:
    require_capability(actor, Capability.CHECK, action=action)
    layout = configured_layout(kind)
    require_confirmed(actor=actor, layout=layout, action=action)
    protected = protection.protected_set([direction])
    required = frozenset(n.encode() for n in protected.requires(direction))
    ids_by_number = {n.encode(): t for n, t in protected.target_ids.items()}
    lookup = required | ids_by_number.keys()
    result = StampResult(layout=layout)
    out = tempfile.TemporaryFile(dir=getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)) if keep_output else None
    try:
        _scan(layout, fileobj, lookup=lookup, required=required, out=out, result=result)
    except _Malformed:
        if out is not None:
            out.close()
        _refuse_malformed(layout, fileobj)
    except BaseException:
        if out is not None:
            out.close()
        raise
    if out is not None:
        out.seek(0)
        result.output = out
    try:
        bulk_quota_require(actor=actor, action=action, numbers=result.line_count)
    except BaseException:
        if out is not None:
            out.close()
        raise
    result.hit_target_ids = sorted({ids_by_number[n] for n in result.hit_numbers if n in ids_by_number})
    return result


def _audit(*, actor, action: AuditAction, result: StampResult, extra: dict) -> None:
    layout = result.layout
    audit_record_hits(actor=actor, action=action, target_ids=result.hit_target_ids, detail={
        "layout": layout.name, "version": layout.version, "sha256": layout.sha256, "lines": result.line_count,
        "required": result.required_count, "already_nondisclosure": result.already_count, **extra})


def stamp_inquiry_file(*, actor, fileobj) -> StampResult:
    """The same file with 不開示コード set on every line whose person needs it (inquiry direction)."""
    result = _run(actor=actor, fileobj=fileobj, kind="inquiry_request", direction=rules.INQUIRY,
                  action=AuditAction.INQUIRY_FILE_STAMP, keep_output=True)
    _audit(actor=actor, action=AuditAction.INQUIRY_FILE_STAMP, result=result,
           extra={"stamped": result.stamped_count})
    return result


def check_provision_file(*, actor, fileobj, refuse: bool) -> StampResult:
    """Lines for a person under 不開示該当フラグ (provision direction) left at 開示 are set to
    不開示 and reported — or, with `refuse`, the file is refused listing them (400)."""
    result = _run(actor=actor, fileobj=fileobj, kind="manual_provision", direction=rules.PROVISION,
                  action=AuditAction.PROVISION_FILE_CHECK, keep_output=not refuse)
    refused = refuse and result.stamped_count > 0
    _audit(actor=actor, action=AuditAction.PROVISION_FILE_CHECK, result=result,
           extra={"fixed": 0 if refuse else result.stamped_count, "disclosed_lines": result.stamped_count,
                  "refused": refused})
    if refused:
        errors = {f"file:{n}": "不開示とすべき方の行が「開示」になっています。" for n in result.stamped_lines}
        errors["file"] = (f"不開示とすべき方の行が {result.stamped_count:,} 行「開示」になっているため、"
                          "ファイルを受け付けませんでした（行番号は errors のキー）。")
        raise ValidationFailed(errors)
    return result

