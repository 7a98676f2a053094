"""The emulator's own database (SQLite, never the app's): flag state per unit, applied
record ids (the server's idempotency), deliveries, seen files, fault settings."""
import sqlite3
import threading
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS flags (unit_type TEXT, unit_key TEXT, flag_kind TEXT, value INTEGER NOT NULL,
    updated_at TEXT, PRIMARY KEY (unit_type, unit_key, flag_kind));
CREATE TABLE IF NOT EXISTS applied (record_id TEXT PRIMARY KEY, unit_type TEXT, unit_key TEXT, flag_kind TEXT,
    action TEXT, channel TEXT, applied_at TEXT);
CREATE TABLE IF NOT EXISTS applications (id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT, applied_at TEXT);
CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT, channel TEXT,
    outcome TEXT, received_at TEXT);
CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, flag_kind TEXT, first_seen TEXT, pick_at TEXT,
    processed_at TEXT, result_name TEXT);
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY CHECK (id = 1), mode TEXT NOT NULL, remaining INTEGER,
    code TEXT, delay REAL);
INSERT OR IGNORE INTO faults (id, mode, remaining, code, delay) VALUES (1, 'none', 0, 'E001', 0);
"""


class Store:
    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self.lock = threading.RLock()

    def _tx(self):
        store = self

        class _Tx:
            def __enter__(self):
                store.lock.acquire()
                store.db.execute("BEGIN IMMEDIATE")
                return store.db

            def __exit__(self, exc_type, exc, tb):
                store.db.execute("ROLLBACK" if exc_type else "COMMIT")
                store.lock.release()

        return _Tx()

    # --- flags -------------------------------------------------------------------------
    def apply(self, *, record_id, unit_type, unit_key, flag_kind, action, channel, now) -> str:
        """Apply once per record id: a re-sent record (same UUID) is acknowledged, not re-applied."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM applied WHERE record_id = ?", (record_id,)).fetchone():
                db.execute("INSERT INTO deliveries (record_id, channel, outcome, received_at) VALUES (?,?,?,?)",
                           (record_id, channel, "duplicate-ack", now))
                return "duplicate"
            db.execute("INSERT INTO flags VALUES (?,?,?,?,?) ON CONFLICT (unit_type, unit_key, flag_kind) "
                       "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                       (unit_type, unit_key, flag_kind, 1 if action == "set" else 0, now))
            db.execute("INSERT INTO applied VALUES (?,?,?,?,?,?,?)",
                       (record_id, unit_type, unit_key, flag_kind, action, channel, now))
            db.execute("INSERT INTO applications (record_id, applied_at) VALUES (?, ?)", (record_id, now))
            db.execute("INSERT INTO deliveries (record_id, channel, outcome, received_at) VALUES (?,?,?,?)",
                       (record_id, channel, "applied", now))
            return "applied"

    def record_delivery(self, record_id, channel, outcome, now) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO deliveries (record_id, channel, outcome, received_at) VALUES (?,?,?,?)",
                       (record_id, channel, outcome, now))

    def flag(self, unit_type, unit_key, flag_kind) -> bool:
        row = self.db.execute("SELECT value FROM flags WHERE unit_type=? AND unit_key=? AND flag_kind=?",
                              (unit_type, unit_key, flag_kind)).fetchone()
        return bool(row and row[0])

    def listing(self) -> list[dict]:
        return [{"unit_type": r[0], "unit_key": r[1], "flag_kind": r[2], "value": bool(r[3])}
                for r in self.db.execute("SELECT unit_type, unit_key, flag_kind, value FROM flags ORDER BY 1, 2, 3")]

    def stats(self) -> dict:
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "applied_records": one("SELECT COUNT(*) FROM applied"),
            "applications": one("SELECT COUNT(*) FROM applications"),
            "records_applied_more_than_once": one(
                "SELECT COUNT(*) FROM (SELECT record_id FROM applications GROUP BY record_id HAVING COUNT(*) > 1)"),
            "deliveries": one("SELECT COUNT(*) FROM deliveries"),
            "redeliveries_absorbed": one("SELECT COUNT(*) FROM deliveries WHERE outcome = 'duplicate-ack'"),
            "files_processed": one("SELECT COUNT(*) FROM files WHERE processed_at IS NOT NULL"),
        }

    # --- faults ------------------------------------------------------------------------
    def set_fault(self, mode: str, remaining: int = -1, code: str = "E001", delay: float = 0.0) -> None:
        with self._tx() as db:
            db.execute("UPDATE faults SET mode=?, remaining=?, code=?, delay=? WHERE id=1",
                       (mode, remaining, code, delay))

    def take_fault(self) -> tuple[str, str, float]:
        """The fault to inject into the next record, counting it down ('none' when exhausted)."""
        with self._tx() as db:
            mode, remaining, code, delay = db.execute("SELECT mode, remaining, code, delay FROM faults").fetchone()
            if mode == "none" or remaining == 0:
                return "none", "", 0.0
            if remaining > 0:
                db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = 1")
            return mode, code, delay or 0.0

    def is_down(self) -> bool:
        mode, remaining = self.db.execute("SELECT mode, remaining FROM faults").fetchone()
        return mode == "down" and remaining != 0

    # --- files -------------------------------------------------------------------------
    def file_seen(self, name, flag_kind, now, pick_at) -> tuple[str, str | None]:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO files (name, flag_kind, first_seen, pick_at) VALUES (?,?,?,?)",
                       (name, flag_kind, now, pick_at))
            return db.execute("SELECT pick_at, processed_at FROM files WHERE name = ?", (name,)).fetchone()

    def file_processed(self, name, now, result_name) -> None:
        with self._tx() as db:
            db.execute("UPDATE files SET processed_at = ?, result_name = ? WHERE name = ?", (now, result_name, name))
