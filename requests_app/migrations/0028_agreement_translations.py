from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0024_renewal_refusal"),
    ]

    operations = [
        migrations.AddField(
            model_name="agreementversion",
            name="translations",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
