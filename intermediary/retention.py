"""Retention of the XML channel's files (ADR 0080).

Published batch files (outbound), result files already applied (inbound/processed) and
quarantined files pile up forever otherwise. After INTERMEDIARY_FILE_ARCHIVE_DAYS they are
packed into one tar.gz per run in INTERMEDIARY_ARCHIVE_DIR (written to a temporary name,
fsynced, renamed, only then the originals removed: a crash leaves either the files or the
archive, never neither), and archives older than INTERMEDIARY_ARCHIVE_RETENTION_DAYS (the
record period) are removed. An outbound file whose batch has no result yet stays where it is:
the server may still be reading it. Age is the file's modification time. Idempotent: a
second run finds nothing old. One audit event per run with the counts and archive name."""
import datetime
import os
import tarfile
from pathlib import Path

from django.conf import settings

from audit.actions import AuditAction
from audit.services import audit_record

from .models import Batch, BatchStatus

JOB = "retention"
ARCHIVE_PREFIX = "intermediary-files-"


def _old_files(folder: Path, cutoff: float) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.stat().st_mtime < cutoff)


def _write_archive(path: Path, members: list[tuple[str, Path]]) -> None:
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for folder, file in members:
                tar.add(file, arcname=f"{folder}/{file.name}")
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def files_archive(*, now: datetime.datetime) -> dict[str, object]:
    cutoff = (now - datetime.timedelta(days=settings.INTERMEDIARY_FILE_ARCHIVE_DAYS)).timestamp()
    folders = {
        "outbound": Path(settings.INTERMEDIARY_OUTBOUND_DIR),
        "processed": Path(settings.INTERMEDIARY_INBOUND_DIR) / "processed",
        "quarantine": Path(settings.INTERMEDIARY_QUARANTINE_DIR),
    }
    members: list[tuple[str, Path]] = []
    kept = 0
    for name, folder in folders.items():
        files = _old_files(folder, cutoff)
        if name == "outbound":
            resulted = set(Batch.objects.filter(name__in=[f.name for f in files], status=BatchStatus.RESULTED)
                           .values_list("name", flat=True))
            kept = sum(f.name not in resulted for f in files)
            files = [f for f in files if f.name in resulted]
        members += [(name, f) for f in files]
    archive_dir = Path(settings.INTERMEDIARY_ARCHIVE_DIR)
    archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    archive_name = ""
    if members:
        archive = archive_dir / f"{ARCHIVE_PREFIX}{now:%Y%m%dT%H%M%S}.tar.gz"
        _write_archive(archive, members)
        archive_name = archive.name
        for _, file in members:
            file.unlink()
    expiry = (now - datetime.timedelta(days=settings.INTERMEDIARY_ARCHIVE_RETENTION_DAYS)).timestamp()
    expired = [p for p in _old_files(archive_dir, expiry) if p.name.startswith(ARCHIVE_PREFIX)]
    for old in expired:
        old.unlink()
    counts: dict[str, object] = {
        "archived": len(members),
        **{name: sum(folder == name for folder, _ in members) for name in folders},
        "kept_without_result": kept,
        "archives_removed": len(expired),
        "archive": archive_name,
    }
    audit_record(actor=None, username=JOB, action=AuditAction.RETENTION_FILES_ARCHIVED, detail=counts)
    return counts
