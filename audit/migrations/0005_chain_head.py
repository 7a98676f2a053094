from django.db import migrations, models

from audit import chain


def init_head(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    last = AuditEvent.objects.order_by("-id").values_list("id", "hash", "prev_hash").first()
    last_id, last_hash, prev_hash = last or (0, chain.GENESIS, chain.GENESIS)
    ChainHead.objects.create(id=1, last_id=last_id, last_hash=last_hash, prev_hash=prev_hash)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_anchor_append_only")]

    operations = [
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("last_id", models.BigIntegerField()),
                ("last_hash", models.CharField(max_length=64)),
                ("prev_hash", models.CharField(max_length=64)),
            ],
        ),
        migrations.RunPython(init_head, migrations.RunPython.noop),
    ]
