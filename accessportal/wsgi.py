"""
WSGI config for accessportal project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

application = get_wsgi_application()

# Each gunicorn worker imports this module after it is forked: it loads URLs, templates, catalogues
# and fonts now, so that its first request is as fast as the others.
from requests_app.ops.warm import warm  # noqa: E402  (needs the application's settings and apps)

warm(application)
