"""Kept intake input sealed at rest (ADR 0061). Existing drafts still within their limit are
sealed in place (the clerk can still restore them); those past it are deleted, as the next
look-up would have done."""
import json

from django.db import migrations, models
from django.utils import timezone


def seal_existing(apps, schema_editor):
    from core.sealing import seal  # noqa: PLC0415 - the sealing of today, as the app will open it
    from victims.intake_drafts import SEAL_PURPOSE  # noqa: PLC0415

    IntakeDraft = apps.get_model("victims", "IntakeDraft")
    IntakeDraft.objects.filter(kept_until__lte=timezone.now()).delete()
    for draft in IntakeDraft.objects.all():
        draft.sealed = seal(json.dumps(draft.fields, ensure_ascii=False).encode(), purpose=SEAL_PURPOSE)
        draft.save(update_fields=["sealed"])


def unseal_back(apps, schema_editor):
    # Going back: the plain column cannot be refilled without keeping the input readable; the
    # drafts are dropped (each lives at most one login; the clerk types the form again).
    apps.get_model("victims", "IntakeDraft").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('victims', '0014_personal_data_erasure'),
    ]

    operations = [
        migrations.AddField(model_name='intakedraft', name='sealed', field=models.TextField(default=''),
                            preserve_default=False),
        migrations.RunPython(seal_existing, unseal_back),
        migrations.RemoveField(model_name='intakedraft', name='fields'),
    ]
