"""ReviewTask moves to victims (tasks of the Target aggregate) (ADR 0010)."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('integration', '0001_initial'),
    ]

    operations = [
        # The tables keep their names: only Django's model state moves (no data is copied).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='ReviewTask',
                ),
            ],
            database_operations=[],
        ),
    ]
