"""Batch XML out (streaming writer, XSD validation, atomic publish) and hardened XML in.

No database access here: the service layer hands in plain records, so the benchmark and
the emulator use exactly the same code."""
import hashlib
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent / "xsd"


@dataclass(frozen=True)
class Header:
    msg_id: str
    msg_type_id: str
    msg_mode: str
    source_system_id: str
    destination_system_id: str
    reception_number: str
    msg_result: str = ""


@dataclass(frozen=True)
class Record:
    record_no: int
    record_id: str
    unit_type: str  # atena | info_code
    unit_key: str
    flag_kind: str
    action: str  # set | release


@dataclass(frozen=True)
class RecordResult:
    record_no: int
    record_id: str
    ok: bool
    error_code: str = ""
    error_message: str = ""


class InvalidBatch(Exception):
    """The file does not satisfy the schema; it must not be published (or trusted)."""


def hardened_parser(**kw) -> etree.XMLParser:
    # Inbound files come from outside: no entity expansion (billion laughs, XXE), no network,
    # no DTD loading, no huge-tree mode.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True, **kw)


@cache
def schema(name: str) -> etree.XMLSchema:
    doc = etree.parse(str(XSD_DIR / name), hardened_parser())
    return etree.XMLSchema(doc)


class _HashingFile:
    """Hashes bytes on their way to disk, so the sha256 costs no second read."""

    def __init__(self, f):
        self.f, self.sha = f, hashlib.sha256()

    def write(self, data):
        self.sha.update(data)
        return self.f.write(data)


def _header(xf, header: Header) -> None:
    h = etree.Element("MessageHeader")
    for tag, value in (("MSGID", header.msg_id), ("MSGTypeID", header.msg_type_id), ("MSGMode", header.msg_mode),
                       ("SourceSystemID", header.source_system_id),
                       ("DestinationSystemID", header.destination_system_id),
                       ("ReceptionNumber", header.reception_number), ("MSGResult", header.msg_result)):
        etree.SubElement(h, tag).text = value
    xf.write(h)


def record_element(r: Record) -> etree._Element:
    el = etree.Element("Record")
    etree.SubElement(el, "RecordNo").text = str(r.record_no)
    etree.SubElement(el, "RecordID").text = r.record_id
    etree.SubElement(el, "AtenaNo" if r.unit_type == "atena" else "InfoCode").text = r.unit_key
    etree.SubElement(el, "FlagKind").text = r.flag_kind
    etree.SubElement(el, "Action").text = r.action
    return el


def write_batch(f, *, header: Header, flag_kind: str, municipality_code: str, window_at: str,
                records: Iterable[Record]) -> tuple[int, str]:
    """Stream the batch to the binary file `f`; returns (record count, sha256). Memory stays
    flat: one record element exists at a time."""
    out = _HashingFile(f)
    count = 0
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("FlagBatch"):
            _header(xf, header)
            info = etree.Element("BatchInfo")
            etree.SubElement(info, "FlagKind").text = flag_kind
            etree.SubElement(info, "MunicipalityCode").text = municipality_code
            etree.SubElement(info, "WindowAt").text = window_at
            xf.write(info)
            for r in records:
                xf.write(record_element(r))
                count += 1
            trailer = etree.Element("Trailer")
            etree.SubElement(trailer, "RecordCount").text = str(count)
            xf.write(trailer)
    return count, out.sha.hexdigest()


def validate_file(path: Path, schema_name: str, root_tag: str, record_tag: str) -> int:
    """Validate while streaming (iterparse with the schema validates the whole document as it
    parses), clearing each record as it goes, so a 100,000-record file never becomes a
    100,000-record tree. Also checks the trailer's count. Returns the record count."""
    count = 0
    try:
        events = etree.iterparse(str(path), events=("end",), tag=record_tag, schema=schema(schema_name),
                                 resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        for _event, el in events:
            count += 1
            el.clear(keep_tail=True)
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
        root = events.root
    except etree.XMLSyntaxError as exc:  # includes schema violations found while parsing
        raise InvalidBatch(str(exc)[:200]) from exc
    if root is None or root.tag != root_tag:
        raise InvalidBatch("unexpected root element")
    trailer = root.findtext("Trailer/RecordCount")
    if trailer is not None and int(trailer) != count:
        raise InvalidBatch(f"trailer says {trailer} records, file has {count}")
    return count


def publish_batch(final_path: Path, write, *, pause_before_publish: float = 0.0) -> tuple[int, str]:
    """temp → validate → fsync → rename. `write(f)` streams the content and returns
    (count, sha256). The outbound directory only ever holds complete, valid files."""
    final_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = final_path.parent / ".tmp"
    tmp_dir.mkdir(exist_ok=True)
    # A unique temp name: a resumed build racing a slow original never shares a half-file.
    tmp = tmp_dir / f"{final_path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part"
    try:
        with open(tmp, "wb") as f:
            count, sha = write(f)
            f.flush()
            os.fsync(f.fileno())
        validated = validate_file(tmp, "flag_batch.xsd", "FlagBatch", "Record")
        if validated != count:
            raise InvalidBatch(f"record count {validated} != {count}")
        if pause_before_publish:
            time.sleep(pause_before_publish)  # fault tests only: a window to kill the worker in
        os.replace(tmp, final_path)
        dir_fd = os.open(final_path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count, sha


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


# ---- inbound -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ResultFile:
    header: Header
    source_name: str
    source_sha256: str
    results: list[RecordResult]


def _text(el, tag) -> str:
    child = el.find(tag)
    return (child.text or "") if child is not None else ""


def parse_result_file(path: Path) -> ResultFile:
    """Parse and schema-check a result file with a hardened parser. Any defect raises
    InvalidBatch and nothing in it may be trusted (the caller quarantines the file)."""
    try:
        doc = etree.parse(str(path), hardened_parser())
    except (etree.XMLSyntaxError, OSError) as exc:
        raise InvalidBatch(f"unparseable: {str(exc)[:150]}") from exc
    if doc.docinfo.internalDTD is not None or doc.docinfo.doctype:
        raise InvalidBatch("DOCTYPE is not allowed")
    xsd = schema("flag_batch_result.xsd")
    if not xsd.validate(doc):
        raise InvalidBatch(f"schema: {str(xsd.error_log.last_error)[:150]}")
    root = doc.getroot()
    h = root.find("MessageHeader")
    header = Header(*(_text(h, t) for t in ("MSGID", "MSGTypeID", "MSGMode", "SourceSystemID",
                                            "DestinationSystemID", "ReceptionNumber", "MSGResult")))
    src = root.find("SourceFile")
    results = [RecordResult(int(_text(r, "RecordNo")), _text(r, "RecordID"), _text(r, "Status") == "OK",
                            _text(r, "ErrorCode"), _text(r, "ErrorMessage")[:200])
               for r in root.iterfind("Result")]
    return ResultFile(header, _text(src, "FileName"), _text(src, "SHA256"), results)


def iter_batch_records(path: Path) -> Iterator[Record]:
    """Read a (trusted-schema) batch file as records; used by the emulator."""
    for _event, el in etree.iterparse(str(path), events=("end",), tag="Record", resolve_entities=False,
                                      no_network=True, load_dtd=False, schema=schema("flag_batch.xsd")):
        atena = el.find("AtenaNo")
        yield Record(int(_text(el, "RecordNo")), _text(el, "RecordID"), "atena" if atena is not None else "info_code",
                     _text(el, "AtenaNo") if atena is not None else _text(el, "InfoCode"), _text(el, "FlagKind"),
                     _text(el, "Action"))
        el.clear()


def write_result_file(path: Path, *, header: Header, source_name: str, source_sha256: str,
                      results: Iterable[RecordResult]) -> None:
    tmp = path.with_name("." + path.name + ".part")
    with open(tmp, "wb") as f:
        with etree.xmlfile(f, encoding="utf-8") as xf:
            xf.write_declaration()
            with xf.element("FlagBatchResult"):
                _header(xf, header)
                src = etree.Element("SourceFile")
                etree.SubElement(src, "FileName").text = source_name
                etree.SubElement(src, "SHA256").text = source_sha256
                xf.write(src)
                for r in results:
                    el = etree.Element("Result")
                    etree.SubElement(el, "RecordNo").text = str(r.record_no)
                    etree.SubElement(el, "RecordID").text = r.record_id
                    etree.SubElement(el, "Status").text = "OK" if r.ok else "NG"
                    if not r.ok:
                        etree.SubElement(el, "ErrorCode").text = r.error_code or "E999"
                        etree.SubElement(el, "ErrorMessage").text = r.error_message
                    xf.write(el)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
