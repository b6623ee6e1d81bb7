"""Django's flush (run after every transactional test, and by hand) can empty the append-only
history, and the history is append-only again right after."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.models import RequestEvent
from tests.factories import LicenseRequestFactory
from tests.paths import LAGPER_TOML


def test_flush_empties_the_history_and_leaves_it_append_only(transactional_db, lagper, alice):
    LicenseRequestFactory(dataset=lagper, applicant=alice)
    call_command("flush", interactive=False, verbosity=0)
    assert not RequestEvent.objects.exists()

    # The flush emptied the datasets too: load LAGPeR again.
    events = list(LicenseRequestFactory(dataset=load_dataset_file(LAGPER_TOML).dataset).events.order_by("pk"))
    for sql in ("UPDATE requests_app_requestevent SET note = 'rewritten'", "DELETE FROM requests_app_requestevent"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert list(RequestEvent.objects.order_by("pk")) == events
