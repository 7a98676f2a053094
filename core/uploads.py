"""Reading uploaded lists of atena numbers (bulk check input, お知らせ 宛先ファイル).

- Size: refused from the Content-Length header before the body is read, and again while
  it streams in (for a body without a usable length), so an oversize upload is never read
  whole. Parts of the body go to a temporary file that is deleted with the request:
  nothing of an upload is kept.
- Encoding: UTF-8 (with or without BOM) or Shift_JIS/CP932, detected by strict decoding;
  anything else (UTF-16, binary, mixed) is a clear error naming the field.
- Reading is by chunks of lines, never the whole file at once.
- Lines: a cap on all lines (blank ones included) is counted while the body streams in, a
  cap on malformed lines while it is parsed; reading stops at the first cap reached and the
  refusal names the cap and the line (ADR 0017). Without them a 63 MiB file of blank lines
  kept a worker for 103 s.
"""
import codecs
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from rest_framework.parsers import BaseParser

from core import api_parsers as json_body
from core.errors import DomainError, ValidationFailed
from core.normalize import normalize_atena_no

DEFAULT_MAX_NUMBERS = 1_000_000
CHUNK = 1 << 20
BOM = codecs.BOM_UTF8
MAX_REPORTED = 1000  # line numbers listed in a report; the count is always complete


def max_upload_bytes() -> int:
    """The bulk check's body (JSON or file): the documented 1,000,000 numbers and a little slack."""
    return int(getattr(settings, "BULK_MAX_UPLOAD_BYTES", DEFAULT_MAX_NUMBERS * 19 + (1 << 20)))


def max_recipient_file_bytes() -> int:
    """A 宛先ファイル of 1,000,000 lines with the department's other columns."""
    return int(getattr(settings, "RECIPIENT_FILTER_MAX_UPLOAD_BYTES", DEFAULT_MAX_NUMBERS * 48))


def max_numbers() -> int:
    return int(getattr(settings, "BULK_MAX_NUMBERS", DEFAULT_MAX_NUMBERS))


def max_lines() -> int:
    return int(getattr(settings, "BULK_MAX_LINES", max_numbers() + 1000))


def max_malformed_lines() -> int:
    return int(getattr(settings, "BULK_MAX_MALFORMED_LINES", 1000))


def max_blank_lines() -> int:
    return int(getattr(settings, "BULK_MAX_BLANK_LINES", 1000))


class PayloadTooLarge(DomainError):
    status = 413


def _too_large(limit: int, line_no: int | None = None) -> PayloadTooLarge:
    where = f"{line_no:,} 行目で読み込みを止めました。" if line_no else ""
    return PayloadTooLarge(f"アップロードが大きすぎます（上限 {limit:,} バイト）。{where}分割して送信してください。",
                           "file")


def too_many_lines(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"ファイルの行数が上限（{limit:,} 行、空行を含む）を超えています。"
                           f"{limit + 1:,} 行目で読み込みを止めました。分割して送信してください。", "file")


def too_many_malformed(limit: int, line_no: int) -> str:
    return (f"形式に誤りのある行が上限（{limit:,} 行）を超えたため、{line_no:,} 行目で読み込みを止めました。"
            "ファイルの形式（1列目が15桁の団体内統合宛名番号）を確認してください。")


def too_many_short(limit: int, line_no: int) -> str:
    return (f"空行、または宛名番号（15桁）を含み得ない短い行が上限（{limit:,} 行）を超えたため、"
            f"{line_no:,} 行目で読み込みを止めました。1列目が団体内統合宛名番号のファイルか確認してください。")


def refuse_oversize(request, limit: int | None = None) -> None:
    """Before anything reads the body: refuse by the declared length, and cap what the
    multipart parser will accept (bytes and lines) for a body that lies about or omits its
    length, or is a flood of short lines."""
    limit = limit or max_upload_bytes()
    raw = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        raise DomainError("Content-Length が正しくありません。") from None
    if length > limit:
        raise _too_large(limit)
    django_request = getattr(request, "_request", request)
    try:
        django_request.upload_handlers = [LimitedUploadHandler(django_request, limit=limit)]
    except AttributeError:
        pass  # already parsed upstream; the declared length was checked above, and Django bounds reads by it


class StreamingJSONParser(BaseParser):
    """JSON read straight from the request stream. DRF's JSONParser goes through
    `request.body`, which holds a second copy and is capped by DATA_UPLOAD_MAX_MEMORY_SIZE;
    the bulk endpoints have their own limit, checked before reading (refuse_oversize)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return {}
        return json_body.loads(stream.read())


# The newline before a line that cannot hold a 15-digit number (blank, or shorter than 15
# bytes before its own newline). It begins with a literal, which the engine searches at C
# speed; the lookahead lets consecutive short lines each match.
_BEFORE_SHORT_LINE = re.compile(rb"\n(?=[^\n]{0,14}\n)")


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Spools a file part to a temporary file (deleted when the request ends) and stops the
    upload — nothing more of the body is read — as soon as more than `limit` bytes, more
    than `max_lines` lines, or more than `max_short` lines too short to hold a number (blank
    or malformed: BULK_MAX_BLANK_LINES + BULK_MAX_MALFORMED_LINES) arrived. Both counts run
    at C speed per chunk (bytes.count, one regular expression), so a flood of blank or `x`
    lines is refused within its first chunk."""

    def __init__(self, request=None, *, limit: int, lines: int | None = None, short: int | None = None):
        super().__init__(request)
        self.limit = limit
        self.max_lines = lines if lines is not None else max_lines()
        self.max_short = short if short is not None else max_blank_lines() + max_malformed_lines()
        self.received = 0
        self.newlines = 0
        self.short = 0
        self.partial = 0  # bytes of the line still open at the end of the last chunk
        self.refusal: DomainError | None = None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.refusal = _too_large(self.limit, self.newlines + raw_data.count(b"\n") + 1)
        else:
            self._count_lines(raw_data)
        if self.refusal is not None:
            if self.file is not None:
                self.file.close()
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)

    def _count_lines(self, data: bytes) -> None:
        first = data.find(b"\n")
        if first < 0:  # still inside one line
            self.partial += len(data)
            return
        last = data.rfind(b"\n")
        before = self.newlines  # complete lines before this chunk
        self.newlines += data.count(b"\n")
        if self.partial + first < 15:
            self.short += 1  # the line carried over from the last chunk ends here, short
            if self.short > self.max_short:
                self.refusal = ValidationFailed({"file": too_many_short(self.max_short, before + 1)})
                return
        if last > first:  # lines that begin and end in this chunk, each after a newline in [first, last)
            for match in _BEFORE_SHORT_LINE.finditer(data, first, last + 1):
                self.short += 1
                if self.short > self.max_short:
                    line_no = before + 1 + data.count(b"\n", first, match.start() + 1)
                    if line_no <= self.max_lines:  # else the line cap, further up, was reached first
                        self.refusal = ValidationFailed({"file": too_many_short(self.max_short, line_no)})
                        return
                    break
        self.partial = len(data) - last - 1
        if self.newlines > self.max_lines:
            self.refusal = too_many_lines(self.max_lines)


def refuse_stopped_upload(request) -> None:
    """The cap that stopped the upload while it streamed in, if one did (413 for bytes and
    lines, 400 for blank or too-short lines)."""
    django_request = getattr(request, "_request", request)
    for handler in getattr(django_request, "upload_handlers", []):
        if isinstance(handler, LimitedUploadHandler) and handler.refusal is not None:
            raise handler.refusal


def uploaded_file(request, field_name: str = "file"):
    """The uploaded file of a multipart request, or a 400/413 naming the field."""
    files = request.FILES
    refuse_stopped_upload(request)
    upload = files.get(field_name)
    if upload is None:
        raise ValidationFailed({field_name: "ファイルを指定してください（multipart/form-data の file 項目）。"})
    if upload.size == 0:
        raise ValidationFailed({field_name: "ファイルが空です。"})
    return upload


def detect_encoding(fileobj, field_name: str = "file") -> str:
    """'utf-8-sig', 'utf-8' or 'cp932', by strict incremental decoding of the whole file."""
    fileobj.seek(0)
    head = fileobj.read(len(BOM))
    candidates = ["utf-8-sig"] if head == BOM else ["utf-8", "cp932"]
    for encoding in candidates:
        fileobj.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := fileobj.read(CHUNK):
                if b"\x00" in chunk:
                    raise ValidationFailed({field_name: "バイナリファイル、または UTF-16 等の未対応の文字コードです。"
                                                        "UTF-8 または Shift_JIS(CP932) のテキストで送信してください。"})
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        fileobj.seek(0)
        return encoding
    raise ValidationFailed({field_name: "文字コードを判別できません。"
                                        "UTF-8（BOM有無いずれも可）または Shift_JIS(CP932) で送信してください。"})


def iter_line_chunks(fileobj):
    """Lists of raw lines (bytes, without the final b"\\n", with any b"\\r"), chunk by chunk.
    The last list may end with a line that had no newline; `ended_with_newline` tells."""
    fileobj.seek(0)
    carry = b""
    while chunk := fileobj.read(CHUNK):
        lines = (carry + chunk).split(b"\n")
        carry = lines.pop()
        yield lines, False
    if carry:
        yield [carry], True


_HAS_DIGIT = re.compile(r"\d")


def first_field(line: bytes) -> bytes:
    """The first CSV column, unquoted and stripped (the atena_no column of a 宛先ファイル).
    Safe on CP932 bytes: neither b"," nor b"\\n" occurs as a second byte of a CP932 character."""
    return line.split(b",", 1)[0].strip().strip(b'"').strip()


@dataclass
class LineParse:
    """Outcome of reading one line's atena_no."""

    kind: str  # "number" | "blank" | "header" | "malformed"
    value: str = ""
    message: str = ""


def parse_line(raw_field: bytes, encoding: str, line_no: int) -> LineParse:
    """Slow path for a field that is not already 15 ASCII digits: full-width digits and
    spaces are normalised; a first line without any digit is a header."""
    if not raw_field:
        return LineParse("blank")
    text = raw_field.decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="replace")
    if line_no == 1:
        text = text.lstrip("\ufeff")
        if not _HAS_DIGIT.search(unicodedata.normalize("NFKC", text)):
            return LineParse("header")
    if not text.strip().strip('"').strip():
        return LineParse("blank")
    try:
        return LineParse("number", normalize_atena_no(text.strip('"')))
    except DomainError as exc:
        return LineParse("malformed", message=exc.message)


class LineBudget:
    """The line caps, checked line by line while a file is parsed: a file that did not come
    through LimitedUploadHandler (the screens' forms, a direct call) is held to them too."""

    def __init__(self) -> None:
        self.max_lines = max_lines()
        self.max_malformed = max_malformed_lines()

    def check_line(self, line_no: int) -> None:
        if line_no > self.max_lines:
            raise too_many_lines(self.max_lines)

    def check_malformed(self, report: "LineReport", line_no: int) -> None:
        if report.malformed_count > self.max_malformed:
            errors = {f"file:{m['line']}": m["message"] for m in report.malformed}
            errors["file"] = too_many_malformed(self.max_malformed, line_no)
            raise ValidationFailed(errors)


@dataclass
class LineReport:
    """Line numbers (1-based) of malformed and duplicate lines; counts are complete,
    the listed numbers stop at MAX_REPORTED."""

    malformed_count: int = 0
    malformed: list = field(default_factory=list)
    duplicate_count: int = 0
    duplicates: list = field(default_factory=list)

    def add_malformed(self, line_no: int, message: str) -> None:
        self.malformed_count += 1
        if len(self.malformed) < MAX_REPORTED:
            self.malformed.append({"line": line_no, "message": message})

    def add_duplicate(self, line_no: int) -> None:
        self.duplicate_count += 1
        if len(self.duplicates) < MAX_REPORTED:
            self.duplicates.append(line_no)
