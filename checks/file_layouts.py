"""File layouts as data (ADR 0042): the definition of a business system's fixed-width file,
read from checks/layouts/<name>.json and validated, with every byte offset the stamper needs
worked out once.

A definition names its kind (inquiry_request: the 照会側不開示コード is stamped; manual_provision:
the disclosure field is checked), encoding, line ending, separator ("" for pure fixed width),
its fields in order (name, width in bytes, padding), which field holds the 宛名番号, which the
団体内統合宛名番号, which the code, and the code's two values. The values' meaning is not public:
the stamper runs only with a layout whose exact definition (its SHA-256) a system administrator
confirmed (ADR 0043)."""
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from core.errors import DomainError

LAYOUT_DIR = Path(__file__).resolve().parent / "layouts"
KINDS = ("inquiry_request", "manual_provision")
ENCODINGS = ("cp932", "utf-8")
LINE_ENDINGS = {"CRLF": b"\r\n", "LF": b"\n"}
PADDINGS = ("zero-left", "space-left", "space-right", "none")
_REQUIRED = ("name", "kind", "version", "encoding", "line_ending", "separator", "fields", "atena_no_field",
             "integrated_atena_no_field", "code_field", "values")


class LayoutError(DomainError):
    """A definition that cannot be used; the message names the key at fault."""


@dataclass(frozen=True)
class Field:
    name: str
    width: int
    padding: str
    offset: int  # byte offset within the line


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    kind: str
    version: str
    encoding: str
    line_ending: bytes
    separator: bytes
    fields: tuple[Field, ...]
    atena_no: Field
    integrated_atena_no: Field
    code: Field
    nondisclosure: bytes
    disclosure: bytes
    sha256: str  # of the definition file's bytes: a changed definition needs a new confirmation

    @property
    def record_length(self) -> int:
        """Bytes of one line without its line ending."""
        last = self.fields[-1]
        return last.offset + last.width

    @property
    def line_length(self) -> int:
        return self.record_length + len(self.line_ending)

    @property
    def separator_offsets(self) -> tuple[int, ...]:
        if not self.separator:
            return ()
        return tuple(f.offset - len(self.separator) for f in self.fields[1:])

    def values_text(self) -> dict[str, str]:
        """The code values to confirm, as text."""
        return {"nondisclosure": self.nondisclosure.decode(self.encoding),
                "disclosure": self.disclosure.decode(self.encoding)}


def _fail(name: str, message: str) -> LayoutError:
    return LayoutError(f"ファイルレイアウト定義 {name}: {message}", "layout")


def _text(raw: dict, key: str, name: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise _fail(name, f"{key} は文字列で指定してください。")
    return value


def parse_layout(data: bytes, name: str) -> Layout:
    """Validate a definition's bytes; every error says which key is wrong."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(name, f"UTF-8 の JSON として読めません（{exc}）。") from None
    if not isinstance(raw, dict):
        raise _fail(name, "JSON のオブジェクトではありません。")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise _fail(name, f"必須の項目がありません: {', '.join(missing)}")
    if raw["name"] != name:
        raise _fail(name, f"name（{raw['name']}）がファイル名と一致しません。")
    kind = _text(raw, "kind", name)
    if kind not in KINDS:
        raise _fail(name, f"kind は {' / '.join(KINDS)} のいずれかです。")
    encoding = _text(raw, "encoding", name)
    if encoding not in ENCODINGS:
        raise _fail(name, f"encoding は {' / '.join(ENCODINGS)} のいずれかです。")
    line_ending = LINE_ENDINGS.get(_text(raw, "line_ending", name))
    if line_ending is None:
        raise _fail(name, "line_ending は CRLF または LF です。")
    separator = _text(raw, "separator", name).encode(encoding)
    if len(separator) > 1 or separator.isdigit() or separator in (b" ", b"\r", b"\n"):
        raise _fail(name, "separator は1バイトの区切り文字（数字・空白以外）か、固定長なら空文字です。")
    if not isinstance(raw["fields"], list) or not raw["fields"]:
        raise _fail(name, "fields は項目の配列です。")
    fields: list[Field] = []
    offset = 0
    for index, item in enumerate(raw["fields"]):
        if not isinstance(item, dict):
            raise _fail(name, f"fields[{index}] はオブジェクトです。")
        field_name = item.get("name")
        width = item.get("width")
        padding = item.get("padding")
        if not isinstance(field_name, str) or not field_name:
            raise _fail(name, f"fields[{index}].name がありません。")
        if any(f.name == field_name for f in fields):
            raise _fail(name, f"項目名 {field_name} が重複しています。")
        if type(width) is not int or width < 1:
            raise _fail(name, f"{field_name} の width は1以上の整数（バイト数）です。")
        if padding not in PADDINGS:
            raise _fail(name, f"{field_name} の padding は {' / '.join(PADDINGS)} のいずれかです。")
        if fields:
            offset += len(separator)
        fields.append(Field(field_name, width, padding, offset))
        offset += width
    by_name = {f.name: f for f in fields}

    def named(key: str, width: int | None = None) -> Field:
        field_name = _text(raw, key, name)
        found = by_name.get(field_name)
        if found is None:
            raise _fail(name, f"{key} の {field_name} が fields にありません。")
        if width is not None and found.width != width:
            raise _fail(name, f"{key} の {field_name} は {width} バイトの項目です。")
        return found

    atena_no = named("atena_no_field", 15)
    integrated = named("integrated_atena_no_field", 15)
    code = named("code_field")
    if len({atena_no.name, integrated.name, code.name}) != 3:
        raise _fail(name, "宛名番号・統合宛名番号・コードの項目は別々の項目です。")
    values = raw["values"]
    if not isinstance(values, dict) or set(values) != {"nondisclosure", "disclosure"}:
        raise _fail(name, "values は nondisclosure（不開示）と disclosure（開示）の2つの値です。")
    encoded = {}
    for key in ("nondisclosure", "disclosure"):
        value = values[key]
        if not isinstance(value, str) or len(value.encode(encoding)) != code.width:
            raise _fail(name, f"values.{key} は {code.name} の幅（{code.width} バイト）の文字列です。")
        if separator and separator in value.encode(encoding) or "\n" in value or "\r" in value:
            raise _fail(name, f"values.{key} に区切り文字・改行は使えません。")
        encoded[key] = value.encode(encoding)
    if encoded["nondisclosure"] == encoded["disclosure"]:
        raise _fail(name, "values の2つの値が同じです。")
    return Layout(name=name, title=str(raw.get("title") or name), kind=kind, version=_text(raw, "version", name),
                  encoding=encoding, line_ending=line_ending, separator=separator, fields=tuple(fields),
                  atena_no=atena_no, integrated_atena_no=integrated, code=code,
                  nondisclosure=encoded["nondisclosure"], disclosure=encoded["disclosure"],
                  sha256=hashlib.sha256(data).hexdigest())


def layout_path(name: str) -> Path:
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise _fail(name, "名前は英数字・-・_ のみです。")
    return Path(getattr(settings, "FILE_LAYOUT_DIR", None) or LAYOUT_DIR) / f"{name}.json"


def load_layout(name: str) -> Layout:
    path = layout_path(name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(name, f"定義ファイル {path.name} がありません。") from None
    return parse_layout(data, name)


def configured_layout(kind: str) -> Layout:
    """The layout the settings select for this kind (INQUIRY_FILE_LAYOUT / PROVISION_FILE_LAYOUT)."""
    setting = "INQUIRY_FILE_LAYOUT" if kind == "inquiry_request" else "PROVISION_FILE_LAYOUT"
    layout = load_layout(str(getattr(settings, setting)))
    if layout.kind != kind:
        raise _fail(layout.name, f"{setting} に指定された定義の kind が {kind} ではありません。")
    return layout
