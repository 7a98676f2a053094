"""The SQLite append-only triggers of the audit log, again.

On SQLite, Django applies 0009's index and constraint changes by rebuilding the table (copy
into a new table, drop the old one), and the triggers of 0002 went with the old table: the
embedded default's audit log could be updated and deleted. This puts them back; on
PostgreSQL the table is altered in place and its triggers are untouched, so nothing runs.
Any later migration that rebuilds audit_auditevent on SQLite must do the same."""
from django.db import migrations

SQLITE_UP = [
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0011_day_counts_append_only"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
