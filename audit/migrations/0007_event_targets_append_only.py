"""The persons a bulk event matched are part of the log: the database refuses UPDATE,
DELETE and TRUNCATE on them as on the events (same function as migration 0002)."""
from django.db import migrations

PG_UP = """
CREATE TRIGGER audit_event_target_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditeventtarget
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_event_target_no_truncate BEFORE TRUNCATE ON audit_auditeventtarget
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_event_target_no_truncate ON audit_auditeventtarget;
DROP TRIGGER IF EXISTS audit_event_target_no_update_delete ON audit_auditeventtarget;
"""
SQLITE_UP = [
    "CREATE TRIGGER audit_event_target_no_update BEFORE UPDATE ON audit_auditeventtarget "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditeventtarget is append-only'); END;",
    "CREATE TRIGGER audit_event_target_no_delete BEFORE DELETE ON audit_auditeventtarget "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditeventtarget is append-only'); END;",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_event_target_no_update;",
               "DROP TRIGGER IF EXISTS audit_event_target_no_delete;"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor[schema_editor.connection.vendor]
        for sql in statements if isinstance(statements, list) else [statements]:
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_event_targets")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
