"""Personas and the LAGPeR dataset, loaded from the real datasets/lagper.toml."""

import pytest

from requests_app.agreement_format.loading import load_dataset_file

from .factories import UserFactory
from .paths import LAGPER_TOML


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_second_factor_required(settings):
    """Tests sign reviewers in with force_login, which passes no second factor; test_access.py turns it on."""
    settings.MFA_REQUIRED_FOR_STAFF = False


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits live in the cache: a test starts with none of another test's attempts counted."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def lagper(db):
    return load_dataset_file(LAGPER_TOML).dataset


@pytest.fixture
def alice(db):
    """A researcher who applies for LAGPeR."""
    return UserFactory(username="alice", email="alice@uni.example")


@pytest.fixture
def charlie(db):
    """A stranger with an account of his own."""
    return UserFactory(username="charlie", email="charlie@elsewhere.example")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


# --- The issued agreement and signed copies (issue 4) ---------------------------------------------


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """The file storage (issued agreements, signed copies) is a fresh directory for each test, so a
    test can assert what was stored and none writes into the portal's own var/private."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in-process, at .delay(), so tests see their effects; a real-worker test turns this off."""
    from accessportal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def bob(db, lagper):
    """Reviews LAGPeR."""
    from requests_app.review.services import reviewer_grant

    user = UserFactory(username="bob", email="bob@nwpu.example")
    reviewer_grant(dataset=lagper, reviewer=user)
    return user


@pytest.fixture
def alices_request(alice, lagper):
    """Alice's LAGPeR request, submitted: its agreement issued and awaiting her signed copy."""
    from . import journeys

    return journeys.submitted(applicant=alice, dataset=lagper)


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server (same address option), serving one request at a time: tests/browser.py."""
    from .browser import live_server

    yield from live_server(request.config.getvalue("liveserver") or "localhost")


@pytest.fixture
def page(monkeypatch):
    """A Chromium page (tests/browser.py), closed with its browser after the test."""
    from .browser import chromium_page

    yield from chromium_page(monkeypatch)
