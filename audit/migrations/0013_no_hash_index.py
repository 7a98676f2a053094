"""Drop the unique index on the audit event's hash (ADR 0086).

On SQLite, Django removes a table constraint by rebuilding the table, which drops the
append-only triggers with the old table (see 0012): they are put back here, the same way."""
import importlib

from django.db import migrations

_TRIGGERS = importlib.import_module("audit.migrations.0012_sqlite_event_triggers_again")


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0012_sqlite_event_triggers_again"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="auditevent", name="audit_event_hash_unique"),
        migrations.RunPython(_TRIGGERS.forwards, migrations.RunPython.noop),
    ]
