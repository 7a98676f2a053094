"""Anchors and verification results leave the database: append-only sinks outside it.

A database superuser can delete the newest events, the anchors and the verification runs and
realign the chain head; nothing left in the database then remembers how long the log was. Each
record is therefore also written to every sink in settings.AUDIT_ANCHOR_SINKS (by default an
append-only JSON-lines file, meant for another volume or WORM storage, and syslog), and
`audit_verify` compares the chain with what the file remembers.

A record holds ids, counts, hashes and a time, never personal data. The file's lines are chained
by an HMAC (settings.AUDIT_ANCHOR_SINK_KEY): each line names the previous line's MAC, so a line
removed, altered or inserted without the key breaks the chain. Syslog receives the same sealed
line (a copy on another host); it is best effort, the file is not (ADR 0018)."""
import fcntl
import hashlib
import hmac
import json
import logging
import logging.handlers
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
UNCHAINED = "unchained"  # `prev` of a line sealed without the file (its write failed): a copy, not a link
_TAIL_BYTES = 64 * 1024  # far more than one line: the last line is always inside it


def _body(record: dict[str, Any]) -> bytes:
    content = {k: v for k, v in record.items() if k != "mac"}
    return json.dumps(content, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


def _mac(record: dict[str, Any]) -> str:
    return hmac.new(settings.AUDIT_ANCHOR_SINK_KEY.encode(), _body(record), hashlib.sha256).hexdigest()


def seal(record: dict[str, Any], prev: str) -> dict[str, Any]:
    """The record with the previous line's MAC and its own (which covers `prev` too)."""
    sealed = {**record, "prev": prev}
    sealed["mac"] = _mac(sealed)
    return sealed


def line_of(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"


class Sink(Protocol):
    name: str
    required: bool  # a failed write of a required sink is audited and fails the command or task

    def write(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write the record (sealing it if no earlier sink did); return it as written."""
        ...


@runtime_checkable
class ReadableSink(Protocol):
    def read(self) -> "ExternalLog": ...


class FileSink:
    """One JSON line per record, appended with O_APPEND under an exclusive lock and fsynced.
    O_APPEND is what `chattr +a` and WORM shares allow; the lock makes "read the last MAC, append
    the next line" one step for every process writing to the file (web, worker, commands)."""

    name = "file"
    required = True

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path or settings.AUDIT_ANCHOR_SINK_FILE)

    def write(self, record: dict[str, Any]) -> dict[str, Any]:
        created = not self.path.exists()
        if created:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            tail = _tail(fd)
            sealed = seal({k: v for k, v in record.items() if k not in ("prev", "mac")}, _last_mac(tail))
            # A line cut short by a crash keeps its own line (verification names it); ours starts fresh.
            os.write(fd, (b"\n" if tail and not tail.endswith(b"\n") else b"") + line_of(sealed))
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock
        if created:  # the new file's directory entry must survive a crash too
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return sealed

    def read(self) -> "ExternalLog":
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:  # nothing anchored yet
            return ExternalLog(source=str(self.path))
        except OSError as exc:  # a verification that cannot compare is not a pass
            return ExternalLog(source=str(self.path), problem=f"外部アンカー記録を読めません（{type(exc).__name__}）")
        return ExternalLog.parse(data.splitlines(), source=str(self.path))


def _tail(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    return os.pread(fd, min(size, _TAIL_BYTES), max(0, size - _TAIL_BYTES))


def _last_mac(tail: bytes) -> str:
    for raw in reversed(tail.splitlines()):
        try:
            return str(json.loads(raw)["mac"])
        except (ValueError, KeyError, TypeError):
            continue  # a damaged line: chain on from the last sound one (verification reports the damage)
    return GENESIS


class _RaisingSysLogHandler(logging.handlers.SysLogHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 — logging's name
        raise  # noqa: PLE0704 — called inside emit's except: the caller decides what a failure means


class SyslogSink:
    """The same sealed line to syslog (settings.AUDIT_ANCHOR_SYSLOG_ADDRESS: a socket path such
    as /dev/log, or host:port over UDP), facility auth. Best effort: an unreachable syslog is
    logged as a warning and never stops the anchor."""

    name = "syslog"
    required = False

    def write(self, record: dict[str, Any]) -> dict[str, Any]:
        sealed = record if "mac" in record else seal(record, UNCHAINED)
        handler = _RaisingSysLogHandler(address=_syslog_address(settings.AUDIT_ANCHOR_SYSLOG_ADDRESS),
                                        facility=logging.handlers.SysLogHandler.LOG_AUTH)
        try:
            handler.ident = "dvprotect-audit-anchor: "
            handler.emit(logging.LogRecord("audit.sinks", logging.INFO, __file__, 0,
                                           line_of(sealed).decode().rstrip("\n"), None, None))
        finally:
            handler.close()
        return sealed


def _syslog_address(value: str) -> str | tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if sep and port.isdigit() and not value.startswith("/"):
        return host, int(port)
    return value


def configured_sinks() -> list[Sink]:
    return [import_string(path)() for path in settings.AUDIT_ANCHOR_SINKS]


class SinkWriteFailed(Exception):
    """A required sink did not take a record. The record is still in the database and the
    failure is audited (audit.sink_failed); the command or task that wrote it fails."""

    def __init__(self, message: str, saved: Any = None):
        super().__init__(message)
        self.saved = saved  # the anchor or verification run, as recorded in the database


@dataclass
class SinkFailure:
    sink: str
    required: bool
    error: str  # the exception's class and errno only: never the path's content


def publish(record: dict[str, Any], sinks: Iterable[Sink] | None = None) -> list[SinkFailure]:
    """Write the record to every sink; a failing sink does not stop the others."""
    failures = []
    for sink in configured_sinks() if sinks is None else sinks:
        try:
            record = sink.write(record)
        except OSError as exc:
            failure = SinkFailure(sink.name, sink.required, f"{type(exc).__name__}({getattr(exc, 'errno', '')})")
            failures.append(failure)
            if sink.required:
                logger.error("audit anchor sink %s failed: %s (record %s #%s)", sink.name, failure.error,
                             record.get("kind"), record.get("record_id"))
            else:
                logger.warning("audit anchor sink %s unavailable: %s", sink.name, failure.error)
    return failures


@dataclass(frozen=True)
class ExternalRecord:
    line: int
    kind: str  # "anchor" | "verification"
    record_id: int
    last_event_id: int
    event_count: int
    head_hash: str
    ok: bool  # a verification's outcome; an anchor is always a claim about the chain
    at: str


@dataclass
class ExternalLog:
    """The records of a readable sink, and the first break in its chain of MACs, if any."""

    source: str
    records: list[ExternalRecord] = field(default_factory=list)
    problem: str = ""

    @classmethod
    def parse(cls, lines: list[bytes], *, source: str) -> "ExternalLog":
        log = cls(source=source)
        prev = GENESIS
        for n, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                record = ExternalRecord(
                    line=n, kind=str(data["kind"]), record_id=int(data["record_id"]),
                    last_event_id=int(data["last_event_id"]), event_count=int(data["event_count"]),
                    head_hash=str(data["head_hash"]), ok=bool(data.get("ok", True)), at=str(data["at"]))
                mac_ok = hmac.compare_digest(str(data["mac"]), _mac(data))
            except (ValueError, KeyError, TypeError):
                log.problem = f"外部アンカー記録の {n} 行目を読めません（破損）"
                return log
            if not mac_ok:
                log.problem = f"外部アンカー記録の {n} 行目の MAC が一致しません（改ざん、または鍵の変更）"
                return log
            if data.get("prev") != prev:
                log.problem = f"外部アンカー記録の {n} 行目が前の行と連結しません（行の削除・挿入）"
                return log
            prev = data["mac"]
            log.records.append(record)
        return log


def external_logs() -> list[ExternalLog]:
    """What every readable sink remembers (the file; syslog is read by people, not by us)."""
    return [sink.read() for sink in configured_sinks() if isinstance(sink, ReadableSink)]


def anchor_record(*, anchor_id: int, last_event_id: int, event_count: int, head_hash: str, at: str) -> dict[str, Any]:
    return {"kind": "anchor", "record_id": anchor_id, "last_event_id": last_event_id, "event_count": event_count,
            "head_hash": head_hash, "at": at, "ok": True}


def verification_record(*, run_id: int, last_event_id: int, head_hash: str, ok: bool, at: str) -> dict[str, Any]:
    # Ids run 1..n without gaps in a verified chain, so the count verified is the last id verified.
    return {"kind": "verification", "record_id": run_id, "last_event_id": last_event_id,
            "event_count": last_event_id, "head_hash": head_hash, "at": at, "ok": ok}
