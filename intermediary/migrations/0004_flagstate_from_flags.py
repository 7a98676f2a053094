"""FlagState, moved here from flags; its table stays flags_flagstate (ADR 0010)."""
from django.db import migrations, models


def _move_content_types(apps, schema_editor):
    """Permissions hang on content types: move them with the models, so nothing is stale."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for old_app, model, new_app in [('flags', 'flagstate', 'intermediary')]:
        if not content_type.objects.filter(app_label=new_app, model=model).exists():
            content_type.objects.filter(app_label=old_app, model=model).update(app_label=new_app)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('flags', '0003_move_flagstate_and_notice_out'),
        ('intermediary', '0003_record_corrections'),
    ]

    operations = [
        # The tables keep their names: only Django's model state moves (no data is copied).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FlagState',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('unit_type', models.CharField(choices=[('atena', '団体内統合宛名番号単位'), ('info_code', '特定個人情報名コード単位')], max_length=10)),
                        ('unit_key', models.CharField(max_length=16)),
                        ('flag_kind', models.CharField(choices=[('NO_AUTO_RESPONSE', '自動応答不可フラグ'), ('NONDISCLOSURE', '不開示該当フラグ')], max_length=20)),
                        ('desired', models.BooleanField(default=False)),
                        ('desired_at', models.DateTimeField(blank=True, null=True)),
                        ('reflected', models.BooleanField(null=True)),
                        ('reflected_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'flags_flagstate',
                        'constraints': [models.UniqueConstraint(fields=('unit_type', 'unit_key', 'flag_kind'), name='flagstate_unique_unit_flag')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_move_content_types, migrations.RunPython.noop),
    ]
