"""python manage.py app_role_sql ROLE: print the SQL that gives the app's PostgreSQL role its least privileges."""

from django.core.management.base import BaseCommand

from requests_app.audit.roles import app_role_sql


class Command(BaseCommand):
    help = "Print the GRANT/REVOKE script for the app's database role (run it with psql as the migration role)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the web processes and workers connect as, e.g. portal_app")

    def handle(self, *args, role, **options):
        self.stdout.write(app_role_sql(role), ending="")
