from django.db import migrations

PG_UP = """
CREATE TRIGGER audit_anchor_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditanchor
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_auditanchor
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_anchor_no_truncate ON audit_auditanchor;
DROP TRIGGER IF EXISTS audit_anchor_no_update_delete ON audit_auditanchor;
"""
SQLITE_UP = [
    "CREATE TRIGGER audit_anchor_no_update BEFORE UPDATE ON audit_auditanchor "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditanchor is append-only'); END;",
    "CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_auditanchor "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditanchor is append-only'); END;",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_anchor_no_update;", "DROP TRIGGER IF EXISTS audit_anchor_no_delete;"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor[schema_editor.connection.vendor]
        for sql in statements if isinstance(statements, list) else [statements]:
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_anchors_and_verification_runs")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
