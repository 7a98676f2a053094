"""Notice (from flags) and ReviewTask (from integration), moved here; tables keep their names (ADR 0010)."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_types(apps, schema_editor):
    """Permissions hang on content types: move them with the models, so nothing is stale."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for old_app, model, new_app in [('flags', 'notice', 'victims'), ('integration', 'reviewtask', 'victims')]:
        if not content_type.objects.filter(app_label=new_app, model=model).exists():
            content_type.objects.filter(app_label=old_app, model=model).update(app_label=new_app)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('integration', '0002_move_reviewtask_to_victims'),
        ('accounts', '0001_initial'),
        ('flags', '0003_move_flagstate_and_notice_out'),
        ('victims', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables keep their names: only Django's model state moves (no data is copied).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Notice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('atena_no', models.CharField(max_length=15)),
                        ('created_at', models.DateTimeField()),
                        ('change_request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='flags.changerequest')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='accounts.department')),
                    ],
                    options={
                        'db_table': 'flags_notice',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ReviewTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('intake_required', '住基支援措置の対象者：類型の確認・登録内容の補完が必要'), ('jumin_reopened', '解除済み等の対象者が住基支援措置の対象になった：再設定の確認'), ('jumin_ended', '住基支援措置が終了：設定継続か解除かの検討')], max_length=20)),
                        ('status', models.CharField(choices=[('open', '未対応'), ('done', '対応済み')], default='open', max_length=10)),
                        ('created_at', models.DateTimeField()),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('note', models.TextField(blank=True)),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='review_tasks', to='accounts.department')),
                        ('target', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='review_tasks', to='victims.target')),
                    ],
                    options={
                        'db_table': 'integration_reviewtask',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(fields=['department', 'status'], name='integration_departm_8a10dc_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_move_content_types, migrations.RunPython.noop),
    ]
