"""Order each unit's operations by a sequence, not by the clock (ADR 0084).

Existing operations are numbered 1, 2, … per (unit_type, unit_key, flag_kind) in the order the
code used until now: created_at, then id (the same tie-break rules.coalesce used). Every unit
that has operations gets a FlagState row holding its last number (a unit only ever re-sent from
a reconciliation alert had none), so the next operation written continues the sequence. One
UPDATE … FROM with ROW_NUMBER() each: PostgreSQL, and SQLite ≥ 3.33 (the embedded default)."""
from django.db import migrations, models


def number_existing_operations(apps, schema_editor):
    # Table names come from the models and are quoted; no value is interpolated.
    q = schema_editor.quote_name
    op = q(apps.get_model("intermediary", "Operation")._meta.db_table)
    fs = q(apps.get_model("intermediary", "FlagState")._meta.db_table)
    same_unit = "o.unit_type = {t}.unit_type AND o.unit_key = {t}.unit_key AND o.flag_kind = {t}.flag_kind"
    number = (
        f"UPDATE {op} SET unit_seq = numbered.n FROM ("  # noqa: S608
        f" SELECT id, ROW_NUMBER() OVER (PARTITION BY unit_type, unit_key, flag_kind ORDER BY created_at, id) AS n"
        f" FROM {op}) AS numbered WHERE {op}.id = numbered.id")
    # The rest of a new row stays NULL: "never set", as desired_flags_apply creates them.
    missing_states = (
        f"INSERT INTO {fs} (unit_type, unit_key, flag_kind, desired, seq)"  # noqa: S608
        f" SELECT DISTINCT o.unit_type, o.unit_key, o.flag_kind, %s, 0 FROM {op} o"
        f" WHERE NOT EXISTS (SELECT 1 FROM {fs} s WHERE {same_unit.format(t='s')})")
    last_numbers = (
        f"UPDATE {fs} SET seq = COALESCE("  # noqa: S608
        f"(SELECT MAX(o.unit_seq) FROM {op} o WHERE {same_unit.format(t=fs)}), 0)")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(number)
        cursor.execute(missing_states, [False])
        cursor.execute(last_numbers)


class Migration(migrations.Migration):

    dependencies = [
        ("intermediary", "0006_operation_failing_since"),
    ]

    operations = [
        migrations.AddField(
            model_name="flagstate",
            name="seq",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="operation",
            name="unit_seq",
            field=models.PositiveBigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(number_existing_operations, migrations.RunPython.noop),
        # The unique constraint's index serves every per-unit lookup the old index served.
        migrations.AddConstraint(
            model_name="operation",
            constraint=models.UniqueConstraint(fields=("unit_type", "unit_key", "flag_kind", "unit_seq"),
                                               name="op_unit_flag_seq"),
        ),
        migrations.RemoveIndex(
            model_name="operation",
            name="op_unit_flag_created",
        ),
    ]
