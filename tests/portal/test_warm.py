"""A web worker warms itself at its start (requests_app/ops/warm.py, called by accessportal/wsgi.py)."""

import logging

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from requests_app.ops.warm import warm
from tests import journeys


@pytest.fixture
def test_connection_kept():
    """A real WSGI handler closes the database connection after its request, as in a worker; the test's
    transaction lives on that connection (Django's test client disconnects the same receivers)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_a_worker_warms_itself_by_serving_the_dataset_list(lagper, caplog, test_connection_kept):
    with caplog.at_level(logging.INFO):
        warm(WSGIHandler())
    assert [(record.name, record.levelname) for record in caplog.records] == [("requests_app.ops.warm", "INFO")]
    assert "worker warm" in caplog.records[0].getMessage()


def test_a_worker_warms_a_licensees_status_page_without_writing_anything(lagper, alice, bob, test_connection_kept):
    licence = journeys.approved(applicant=alice, dataset=lagper, reviewer=bob)
    mail.outbox.clear()
    rendered = []

    def on_render(sender, template, context, **kwargs):
        rendered.append((template.name, context.get("license_request")))

    template_rendered.connect(on_render)
    try:
        with CaptureQueriesContext(connection) as queries:
            warm(WSGIHandler())
    finally:
        template_rendered.disconnect(on_render)
    assert ("requests_app/request_detail.html", licence) in rendered
    assert [query["sql"] for query in queries if not query["sql"].startswith("SELECT")] == []
    assert not Session.objects.exists()
    assert mail.outbox == []


def test_a_worker_that_cannot_serve_yet_still_starts(caplog):
    def broken(environ, start_response):
        raise RuntimeError("database not there yet")

    with caplog.at_level(logging.INFO, logger="requests_app.ops.warm"):
        warm(broken)
    assert [record.levelname for record in caplog.records if record.name == "requests_app.ops.warm"] == [
        "WARNING",
        "INFO",
    ]
