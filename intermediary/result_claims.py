"""Claiming result files so that overlapping ingests never parse one twice (ADR 0074).

A claim is one rename from inbound/ into inbound/processing/: rename is atomic within one
filesystem (also on NFS for a single client rename), so when two ingests — two workers, or a
tick queued during an outage running next to the current one — see the same file, exactly
one rename succeeds and the other finds the file gone. The claim time is the file's mtime,
touched at the claim: an ingest killed between the claim and the move to processed/ leaves
the file in processing/, and the next ingest after the claim timeout puts it back (that
timeout is above the task's hard time limit, so no running ingest still owns it). Applying a
result twice is harmless anyway (only operations still sent are matched), so a stale claim
released a little early costs a re-read, never a double reflection."""
import os
import time
from pathlib import Path

PROCESSING = "processing"


def claim(path: Path) -> Path | None:
    """The claimed file's new path, or None when another ingest claimed it first."""
    folder = path.parent / PROCESSING
    folder.mkdir(exist_ok=True)
    dest = folder / path.name
    try:
        os.rename(path, dest)
    except FileNotFoundError:
        return None
    os.utime(dest)  # the claim's time, for release_stale (file times are the host's clock)
    return dest


def release_stale(inbound: Path, *, older_than: float) -> list[str]:
    """Put back the claims of ingests that died: files in processing/ claimed more than
    `older_than` seconds ago. Returns the names put back."""
    folder = inbound / PROCESSING
    if not folder.is_dir():
        return []
    limit = time.time() - older_than
    released = []
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                os.rename(path, inbound / path.name)
                released.append(path.name)
        except FileNotFoundError:
            continue  # another ingest put it back or finished it meanwhile
    return released
