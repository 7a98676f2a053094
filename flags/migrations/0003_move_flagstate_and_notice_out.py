"""FlagState moves to intermediary (state synced with the server), Notice to victims (ADR 0010)."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('flags', '0002_initial'),
    ]

    operations = [
        # The tables keep their names: only Django's model state moves (no data is copied).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='FlagState',
                ),
                migrations.DeleteModel(
                    name='Notice',
                ),
            ],
            database_operations=[],
        ),
    ]
