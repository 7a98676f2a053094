"""The one source of "now" for delivery, windows and the emulator.

Production reads the system clock. Tests and demos point INTERMEDIARY_CLOCK_FILE at a file
holding an ISO timestamp, so a 5-minute or daily window is reached by writing the file,
not by sleeping; the worker and the emulator, separate processes, then agree on the time."""
import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def now() -> datetime.datetime:
    path = settings.INTERMEDIARY_CLOCK_FILE
    if path:
        try:
            text = Path(path).read_text().strip()
        except FileNotFoundError:
            text = ""
        if text:
            value = datetime.datetime.fromisoformat(text)
            return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)
    return timezone.now()


def set_now(path: str | Path, value: datetime.datetime) -> None:
    """Write the driven clock atomically (readers never see half a timestamp)."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(value.isoformat())
    tmp.replace(path)
