from django.db import migrations

# The anomaly view's daily counts are written once and never changed, like the events (0002).
TABLES = ("audit_auditdaycount", "audit_auditcountedday")
PG_UP = [f"""
CREATE TRIGGER {t}_no_update_delete BEFORE UPDATE OR DELETE ON {t}
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
""" for t in TABLES]
PG_DOWN = [f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}; DROP TRIGGER IF EXISTS {t}_no_update_delete ON {t};"
           for t in TABLES]
SQLITE_UP = [f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;"
             for t in TABLES for op in ("UPDATE", "DELETE")]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {t}_no_{op};" for t in TABLES for op in ("update", "delete")]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor[schema_editor.connection.vendor]:
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0010_anomaly_day_counts")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
