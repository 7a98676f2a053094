"""Emulator of the 自治体中間サーバー: a separate process with its own database.

- Web service (単件逐次): POST /ws/flags applies at once (idempotent per record id).
- XML data linkage: files in the outbound directory are picked up only at the server's
  window (NO_AUTO_RESPONSE every 5 minutes, NONDISCLOSURE daily); a result file per batch is
  written to the inbound directory.
- Questions: GET /inquiry?atena_no=X[&info_code=Y] → would it be auto-answered?
  GET /provision?atena_no=X[&info_code=Y] → is the provision record non-disclosed?
  GET /state?atena_no=X, GET /state/all (the listing reconciliation reads).
- Faults: POST /control/faults {"mode": none|error|timeout|down|apply_then_timeout|slow,
  "count": n (-1 = until cleared), "code": "E123", "delay": seconds}; GET /control/stats.
- Every path but GET /health needs the shared secret (INTERMEDIARY_WS_SECRET) as
  "Authorization: Bearer <secret>"; without it 401 and nothing is read or changed (ADR 0021):
  the listing names every flagged number and one call releases a flag.
Its clock is intermediary.clock (driveable through INTERMEDIARY_CLOCK_FILE)."""
import datetime
import hmac
import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .. import batch_xml, clock, flag_kinds, rules, windows
from .store import Store

log = logging.getLogger("intermediary.emulator")


class Emulator:
    def __init__(self, *, store: Store, outbound: Path, inbound: Path, cfg: windows.WindowConfig,
                 destination_system_id: str = "CHUKAN01"):
        self.store, self.outbound, self.inbound, self.cfg = store, Path(outbound), Path(inbound), cfg
        self.system_id = destination_system_id
        self.stop = threading.Event()

    # ---- web service --------------------------------------------------------------------
    def ws_apply(self, payload: dict) -> tuple[int, dict, float]:
        """Returns (HTTP status, body, seconds to stall before answering)."""
        if self.store.is_down():
            return 503, {"result": "NG", "code": "DOWN", "message": "service stopped"}, 0.0
        try:
            record = batch_xml.Record(0, str(uuid.UUID(payload["record_id"])), payload["unit_type"],
                                      payload["unit_key"], payload["flag_kind"], payload["action"])
        except (KeyError, ValueError, TypeError):
            return 400, {"result": "NG", "code": "E400", "message": "bad request"}, 0.0
        if not self._valid(record):
            return 200, {"result": "NG", "code": "E010", "message": "invalid record"}, 0.0
        now = clock.now().isoformat()
        mode, code, delay = self.store.take_fault()
        if mode == "error":
            self.store.record_delivery(record.record_id, "ws", "error", now)
            return 200, {"result": "NG", "code": code or "E001", "message": "injected error"}, 0.0
        if mode == "timeout":
            self.store.record_delivery(record.record_id, "ws", "timeout", now)
            return 200, {"result": "NG", "code": "LATE", "message": "too late"}, delay
        self.store.apply(record_id=record.record_id, unit_type=record.unit_type, unit_key=record.unit_key,
                         flag_kind=record.flag_kind, action=record.action, channel="ws", now=now)
        return 200, {"result": "OK"}, (delay if mode in ("apply_then_timeout", "slow") else 0.0)

    @staticmethod
    def _valid(r: batch_xml.Record) -> bool:
        key_ok = rules.ATENA_RE.match(r.unit_key) if r.unit_type == "atena" else rules.INFO_CODE_RE.match(r.unit_key)
        return bool(key_ok) and r.flag_kind in flag_kinds.FLAG_KINDS \
            and r.action in ("set", "release")

    # ---- questions ----------------------------------------------------------------------
    def answer(self, kind: str, atena_no: str, info_code: str | None) -> bool:
        hit = (self.store.flag("atena", atena_no, kind)
               or bool(info_code and self.store.flag("info_code", info_code, kind)))
        return hit

    # ---- XML files ----------------------------------------------------------------------
    def poll_files(self) -> int:
        """One pass over the outbound directory; returns the number of files processed."""
        if not self.outbound.is_dir():
            return 0
        now = clock.now()
        done = 0
        for path in sorted(p for p in self.outbound.iterdir() if p.is_file() and p.suffix == ".xml"):
            kind = rules.flag_kind_from_file_name(path.name)
            if kind is None:
                continue
            pick_at = windows.pickup_window(kind, now, self.cfg).isoformat()
            pick_at, processed_at = self.store.file_seen(path.name, kind, now.isoformat(), pick_at)
            if processed_at or now < _parse(pick_at) or self.store.is_down():
                continue
            self.process_file(path, now)
            done += 1
        return done

    def process_file(self, path: Path, now) -> None:
        results = []
        sha = batch_xml.file_sha256(path)
        msg_result = "0"
        try:
            for rec in batch_xml.iter_batch_records(path):
                results.extend(self._apply_record(rec, now))
        except Exception as exc:  # noqa: BLE001 — a bad file is answered with a file-level error
            log.warning("rejecting %s: %s", path.name, exc)
            msg_result, results = "E100", []
        result_name = path.stem + ".result.xml"
        self.inbound.mkdir(parents=True, exist_ok=True)
        header = batch_xml.Header(uuid.uuid4().hex, "TBF900", "1", self.system_id, "LG", path.stem[-15:], msg_result)
        batch_xml.write_result_file(self.inbound / result_name, header=header, source_name=path.name,
                                    source_sha256=sha, results=results)
        self.store.file_processed(path.name, now.isoformat(), result_name)

    def _apply_record(self, rec: batch_xml.Record, now) -> list[batch_xml.RecordResult]:
        mode, code, _delay = self.store.take_fault()
        if mode == "error":
            self.store.record_delivery(rec.record_id, "xml", "error", now.isoformat())
            return [batch_xml.RecordResult(rec.record_no, rec.record_id, False, code or "E001", "injected error")]
        if mode == "timeout":
            self.store.record_delivery(rec.record_id, "xml", "timeout", now.isoformat())
            return []  # nothing applied, nothing reported
        self.store.apply(record_id=rec.record_id, unit_type=rec.unit_type, unit_key=rec.unit_key,
                         flag_kind=rec.flag_kind, action=rec.action, channel="xml", now=now.isoformat())
        if mode == "apply_then_timeout":
            return []  # applied, but the result never comes back: the ambiguous case
        return [batch_xml.RecordResult(rec.record_no, rec.record_id, True)]

    def run_poller(self, interval: float = 0.2) -> None:
        while not self.stop.is_set():
            try:
                self.poll_files()
            except Exception:  # noqa: BLE001 — keep the emulator alive; the error is in its log
                log.exception("poll failed")
            self.stop.wait(interval)


def _parse(text: str):
    return datetime.datetime.fromisoformat(text)


def authorised(header: str | None, secret: str) -> bool:
    """The Authorization header carries the shared secret (constant-time comparison)."""
    scheme, _, presented = (header or "").partition(" ")
    return bool(secret) and scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), secret.encode())


def make_handler(emu: Emulator, secret: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # ids only reach the log; keep it quiet by default
            log.debug(fmt, *args)

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): exactly the ambiguous case

        def _refused(self) -> bool:
            """Answer 401 unless the request carries the secret. The body is never read: the
            connection is closed instead of being kept alive with unread bytes in it."""
            if authorised(self.headers.get("Authorization"), secret):
                return False
            self.close_connection = True
            data = json.dumps({"error": "unauthorized"}).encode()
            try:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Bearer realm="intermediary-emulator"')
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return True

        def _body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                return json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return {}

        def do_GET(self):
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            atena, info = q.get("atena_no", ""), q.get("info_code") or None
            if url.path == "/health":  # open: the health checks of compose and the tests
                return self._send(200, {"ok": True, "down": emu.store.is_down()})
            if self._refused():
                return None
            if url.path == "/state":
                flags = {kind: emu.store.flag("atena", atena, kind) for kind in flag_kinds.FLAG_KINDS}
                return self._send(200, {"atena_no": atena, **flags})
            if url.path == "/state/all":
                return self._send(200, {"flags": emu.store.listing()})
            if url.path == "/inquiry":
                return self._send(200, {"atena_no": atena, "auto_answered":
                                        not emu.answer(flag_kinds.NO_AUTO_RESPONSE, atena, info)})
            if url.path == "/provision":
                nondisclosed = emu.answer(flag_kinds.NONDISCLOSURE, atena, info)
                return self._send(200, {"atena_no": atena, "nondisclosed": nondisclosed})
            if url.path == "/control/stats":
                return self._send(200, emu.store.stats())
            return self._send(404, {"error": "not found"})

        def do_POST(self):
            url = urlparse(self.path)
            if self._refused():
                return None
            body = self._body()
            if url.path == "/ws/flags":
                status, answer, stall = emu.ws_apply(body)
                if stall:
                    time.sleep(stall)
                return self._send(status, answer)
            if url.path == "/control/faults":
                emu.store.set_fault(
                    body.get("mode", "none"),
                    int(body.get("count", -1)),
                    body.get("code", "E001"),
                    float(body.get("delay", 0.0)),
                )
                return self._send(200, {"ok": True})
            if url.path == "/control/poll":
                return self._send(200, {"processed": emu.poll_files()})
            return self._send(404, {"error": "not found"})

    return Handler


def serve(emu: Emulator, host: str, port: int, *, secret: str) -> ThreadingHTTPServer:
    if not secret:
        raise ValueError("the emulator never runs without a shared secret")
    server = ThreadingHTTPServer((host, port), make_handler(emu, secret))
    server.daemon_threads = True
    return server
