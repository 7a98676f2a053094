"""At most one open alert per cause (ADR 0076). Alerts written before this carry no cause:
each gets one of its own, so none of them is merged or lost."""
from django.db import migrations, models


def give_existing_alerts_a_cause(apps, schema_editor):
    Alert = apps.get_model("intermediary", "Alert")
    for alert in Alert.objects.filter(cause="").only("pk").iterator():
        Alert.objects.filter(pk=alert.pk).update(cause=f"legacy:{alert.pk}")


class Migration(migrations.Migration):

    dependencies = [
        ("intermediary", "0004_flagstate_from_flags"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="cause",
            field=models.CharField(default="", max_length=120),
            preserve_default=False,
        ),
        migrations.RunPython(give_existing_alerts_a_cause, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(condition=models.Q(("resolved_at__isnull", True)),
                                               fields=("kind", "cause"), name="alert_one_open_per_cause"),
        ),
    ]
