"""Personas and the LAGPeR dataset, loaded from the real datasets/lagper.toml."""

from pathlib import Path

import pytest

from requests_app.agreements import load_dataset_file

from .factories import UserFactory

LAGPER_TOML = Path(__file__).resolve().parent.parent / "datasets" / "lagper.toml"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    """A LAGPeR reviewer."""
    reviewer = UserFactory(username="bob", email="bob@nwpu.example")
    lagper.reviewers.add(reviewer)
    return reviewer
