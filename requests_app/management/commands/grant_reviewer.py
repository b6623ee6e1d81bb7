"""python manage.py grant_reviewer EMAIL SLUG: let the user with EMAIL review the dataset SLUG."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from requests_app.models import Dataset

from ...review.services import reviewer_grant


class Command(BaseCommand):
    help = "Make the user with this email a reviewer of the dataset with this slug."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("slug")

    def handle(self, *, email, slug, **options):
        users = get_user_model().objects.filter(email__iexact=email)
        if len(users) != 1:
            raise CommandError(f"{len(users)} users have the email {email!r}; it must be exactly one.")
        try:
            dataset = Dataset.objects.get(slug=slug)
        except Dataset.DoesNotExist:
            raise CommandError(f"No dataset has the slug {slug!r}.") from None
        reviewer_grant(dataset=dataset, reviewer=users[0])
        self.stdout.write(f"{users[0].email} now reviews {dataset.name}.")
