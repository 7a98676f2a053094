"""Notices carry what changed (kind) and the name as on the shared list, and are acknowledged
(who and when) — issue 11, ADR 0027. Every notice before this was a 解除 notice: existing rows
become kind "release" and take the person's name as the shared list shows it."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _names_from_targets(apps, schema_editor):
    notice = apps.get_model("victims", "Notice")
    change_request = apps.get_model("flags", "ChangeRequest")
    for cr_id, name in change_request.objects.filter(
            pk__in=notice.objects.values("change_request_id")).values_list("pk", "target__name"):
        notice.objects.filter(change_request_id=cr_id).update(name=name)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("flags", "0004_withdrawal_request"),
        ("victims", "0004_provisional_protection"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="kind",
            field=models.CharField(choices=[("set", "設定"), ("release", "解除"), ("amend", "設定内容の変更")],
                                   default="release", max_length=10, verbose_name="通知の種類"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notice",
            name="name",
            field=models.CharField(blank=True, default="", max_length=100, verbose_name="氏名"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notice",
            name="acknowledged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="確認日時"),
        ),
        migrations.AddField(
            model_name="notice",
            name="acknowledged_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterModelOptions(name="notice", options={"ordering": ["-created_at", "-id"]}),
        migrations.AddIndex(
            model_name="notice",
            index=models.Index(fields=["department", "created_at"], name="notice_department_created"),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.CheckConstraint(
                condition=models.Q(("acknowledged_at__isnull", True), ("acknowledged_by__isnull", True))
                | models.Q(("acknowledged_at__isnull", False), ("acknowledged_by__isnull", False)),
                name="notice_acknowledged_by_and_at_together"),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(fields=("change_request", "department"),
                                               name="notice_one_per_department"),
        ),
        # Last: the data step after every ALTER TABLE (PostgreSQL refuses an ALTER with pending trigger events).
        migrations.RunPython(_names_from_targets, migrations.RunPython.noop),
    ]
