import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Once every request names its deciding department (0005), it is required, and an
    approval must come from it (ADR 0033)."""

    dependencies = [
        ('flags', '0005_deciding_department_and_transfer'),
    ]

    operations = [
        migrations.AlterField(
            model_name='changerequest',
            name='deciding_department',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.department'),
        ),
        migrations.AddConstraint(
            model_name='changerequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'approved'), _negated=True), ('decided_department', models.F('deciding_department')), _connector='OR'), name='changerequest_approved_by_deciding_department'),
        ),    ]
