"""Exactly one beat (ADR 0077): Celery's persistent scheduler, scheduling only while holding a
lock that every host can see.

Two beats would send every periodic task twice (two sweeps, two reconciliations, two daily
anchors). The services are safe to run twice, but a second beat is still a mistake an
operator must hear about: it refuses to start and says why. The lock is a PostgreSQL
session advisory lock on a connection of its own, so it dies with the beat process (SIGKILL
included: the server ends the session) and a replacement can start at once. If the
database restarts, the session and the lock are gone: the beat then schedules nothing until
it has the lock again, and stops if another beat took it meanwhile. With SQLite (the
embedded single-host demo) the lock is an flock on a file next to the schedule."""
import fcntl
import logging
import os
from pathlib import Path
from typing import Any, Protocol

import psycopg
from celery.beat import PersistentScheduler
from django.conf import settings

log = logging.getLogger(__name__)

# One fixed advisory-lock key for "the beat" of this database ("dvbeat" in ASCII).
BEAT_LOCK_KEY = 0x647662656174
RETRY_SECONDS = 5.0
REFUSED = ("別の beat（定期実行）が既に動いているため、この beat は起動しません "
           "(another celery beat holds the single-beat lock; this one refuses to schedule)")


class AnotherBeatRuns(RuntimeError):
    """Raised out of the scheduler: an exception (not SystemExit) so that `celery beat`
    exits non-zero and a supervisor sees the refusal."""


class BeatLock(Protocol):
    def acquire(self) -> bool | None:
        """True: held now; False: another beat holds it; None: the lock store is unreachable."""

    def held(self) -> bool: ...

    def release(self) -> None: ...


class PostgresBeatLock:
    def __init__(self, db: dict[str, Any]):
        self._params = {"host": db.get("HOST") or "127.0.0.1", "port": db.get("PORT") or 5432,
                        "dbname": db["NAME"], "user": db.get("USER") or None,
                        "password": db.get("PASSWORD") or None}
        self._conn: psycopg.Connection | None = None

    def acquire(self) -> bool | None:
        self.release()
        try:
            conn = psycopg.connect(**self._params, autocommit=True, connect_timeout=5,
                                   application_name="dvprotect-beat-lock")
        except psycopg.Error:
            return None
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY]).fetchone()
        except psycopg.Error:
            conn.close()
            return None
        if not (row and row[0]):
            conn.close()
            return False
        self._conn = conn
        return True

    def held(self) -> bool:
        """Still held: the session that holds it is alive (a restarted server has ended it)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # ending the session releases the advisory lock
            except psycopg.Error:
                pass
            self._conn = None


class FileBeatLock:
    """One host only (SQLite is one host): an exclusive flock, released when the process dies."""

    def __init__(self, path: Path):
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> bool | None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def beat_lock() -> BeatLock:
    db = settings.DATABASES["default"]
    if "postgresql" in db["ENGINE"]:
        return PostgresBeatLock(db)
    return FileBeatLock(Path(settings.CELERY_BEAT_LOCK_FILE))


class SingleBeatScheduler(PersistentScheduler):
    def setup_schedule(self) -> None:
        self._beat_lock = beat_lock()
        got = self._beat_lock.acquire()
        if got is False:
            log.critical(REFUSED)
            raise AnotherBeatRuns(REFUSED)
        if got is None:
            log.warning("single-beat lock store unreachable at start; not scheduling until it is held")
        else:
            log.info("single-beat lock acquired; this beat schedules")
        super().setup_schedule()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._beat_lock.held():
            got = self._beat_lock.acquire()
            if got is False:
                log.critical(REFUSED)
                raise AnotherBeatRuns(REFUSED)
            if got is None:
                log.warning("single-beat lock lost (database unreachable); not scheduling, retrying")
                return RETRY_SECONDS
            log.info("single-beat lock acquired again; scheduling resumes")
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        super().close()
        lock = getattr(self, "_beat_lock", None)
        if lock is not None:
            lock.release()
