"""Fault-injection hooks for the chaos soak (tests/chaos). Unset in production: no-ops.

The soak needs "a web process killed right after its approval committed": the database has
the approval and its outbox rows, but the nudge is never sent and the client never gets an
answer. Only a hook inside the process can hit that instant exactly."""
import os
import signal

from django.conf import settings


def die_after_commit_if_armed() -> None:
    """SIGKILL this process if the soak armed the fault, once: the file is the one-shot
    trigger, and of several processes only the one that removes it dies."""
    path = settings.INTERMEDIARY_FAULT_KILL_AFTER_COMMIT_FILE
    if not path:
        return
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    os.kill(os.getpid(), signal.SIGKILL)
