"""A changed agreement may require active licensees to accept what changed (Reacceptance)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0010_agreement_fields_as_data'),
    ]

    operations = [
        migrations.AddField(
            model_name='agreementversion',
            name='reacceptance_required',
            field=models.BooleanField(default=False, help_text='Published with: holders of an active licence must accept the changed clauses.'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('terms_reminder', 'Terms and citation reminder'), ('signature_nudge', 'Signed agreement still awaited'), ('returned_nudge', 'Correction still awaited'), ('stale_withdrawn', 'Withdrawn as stale'), ('expiry_notice', 'Licence expires soon'), ('expired', 'Licence expired'), ('reviewer_digest', "Reviewer's daily digest"), ('request_approved', 'Licence approved'), ('request_rejected', 'Request rejected'), ('request_returned', 'Returned for correction'), ('request_revoked', 'Licence revoked'), ('reacceptance_needed', 'Changed agreement to accept'), ('reacceptance_nudge', 'Changed agreement still to accept')], max_length=20),
        ),
        migrations.CreateModel(
            name='Reacceptance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sha256', models.CharField(max_length=64)),
                ('required_at', models.DateTimeField()),
                ('accepted_at', models.DateTimeField(blank=True, null=True)),
                ('agreement_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='requests_app.agreementversion')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reacceptances', to='requests_app.licenserequest')),
            ],
            options={
                'ordering': ['request', 'required_at', 'pk'],
                'indexes': [models.Index(fields=['accepted_at', 'required_at'], name='reacceptance_pending_idx')],
                'constraints': [models.UniqueConstraint(fields=('request', 'agreement_version'), name='unique_reacceptance')],
            },
        ),
    ]
