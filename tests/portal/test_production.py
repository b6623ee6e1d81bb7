"""The production profile: deploy checks, refusals at start, CSP, client addresses, /healthz, `make serve`."""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.test import RequestFactory
from django.urls import reverse

from requests_app.ops import health
from requests_app.ops.client_ip import client_ip
from tests.paths import ROOT

PYTHON = sys.executable


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        PORTAL_PROFILE="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.org",
        CACHE_URL="redis://127.0.0.1:6379/12",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Settings ----------------------------------------------------------------------------------------


def test_check_deploy_is_clean_in_the_production_profile():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_a_per_process_cache_is_a_deploy_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", CACHE_URL=None)
    assert result.returncode != 0
    assert "accessportal.W001" in result.stderr


@pytest.mark.parametrize(
    "key, why",
    [
        ("abcde", "has 5 characters"),
        ("a" * 80, "too predictable"),
        ("0123456789" * 6, "too predictable"),
        ("django-insecure-" + secrets.token_urlsafe(50), "insecure placeholder"),
    ],
)
def test_production_refuses_to_start_with_a_weak_secret_key(key, why):
    result = manage("check", SECRET_KEY=key)
    assert result.returncode != 0
    assert why in result.stderr
    assert key not in result.stderr  # the message never repeats the key


def test_production_refuses_to_start_without_allowed_hosts():
    assert "ALLOWED_HOSTS" in manage("check", ALLOWED_HOSTS=None).stderr
    assert "not '*'" in manage("check", ALLOWED_HOSTS="*").stderr


def test_debug_off_means_the_production_profile():
    result = manage("diffsettings", PORTAL_PROFILE=None, DEBUG="false")
    assert "SECURE_SSL_REDIRECT = True" in result.stdout, result.stderr
    assert "SECURE_HSTS_SECONDS = 31536000" in result.stdout


def test_production_keeps_connections_checks_them_and_caches_templates():
    shown = manage("diffsettings").stdout
    assert "'CONN_MAX_AGE': 600" in shown and "'CONN_HEALTH_CHECKS': True" in shown
    assert "django.template.loaders.cached.Loader" in shown
    assert "'CONN_MAX_AGE': 0" in manage("diffsettings", CONN_MAX_AGE="0").stdout


def test_hsts_is_configurable():
    result = manage("diffsettings", HSTS_SECONDS="600", HSTS_PRELOAD="false")
    assert "SECURE_HSTS_SECONDS = 600" in result.stdout
    assert "SECURE_HSTS_PRELOAD = True" not in result.stdout


# --- Content Security Policy ---------------------------------------------------------------------------

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_every_template_is_free_of_inline_script_and_style():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "templates").rglob("*.html")
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db
def test_pages_carry_a_policy_without_inline_script_or_style(client, lagper, alice):
    client.force_login(alice)
    for url in [
        "/",
        reverse("requests_app:dataset_detail", args=["lagper"]),
        reverse("requests_app:apply", args=["lagper"]),
    ]:
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert INLINE.findall(response.content.decode()) == [], url


# --- The client's address --------------------------------------------------------------------------------


def request_from(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_a_trusted_proxy_reports_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.2", "198.51.100.1")) == "198.51.100.1"


def test_a_client_cannot_forge_its_address_through_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it really saw.
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, 198.51.100.1")) == "198.51.100.1"
    # Two trusted hops (a load balancer, then the proxy) are both skipped.
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.9")) == "198.51.100.1"


def test_an_untrusted_peer_is_the_client_whatever_it_forwards(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("198.51.100.1", "10.0.0.5")) == "198.51.100.1"
    assert client_ip(request_from("10.0.0.2", "not-an-address")) == "10.0.0.2"


@pytest.mark.django_db
def test_the_recorded_event_ip_is_the_client_behind_the_proxy(settings, client, alice, lagper):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    client.force_login(alice)
    from tests.applications.test_application import application_data

    response = client.post(
        reverse("requests_app:apply", args=["lagper"]),
        application_data(lagper.current_agreement),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
    )
    assert response.status_code == 302
    request = alice.license_requests.get()
    assert {event.ip for event in request.events.all()} == {"198.51.100.23"}


# --- SQLite, the embedded default ----------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the settings of the SQLite default"
)
def test_the_sqlite_default_writes_ahead_waits_for_the_lock_and_takes_it_at_begin(tmp_path, django_db_blocker):
    from django.conf import settings
    from django.db.backends.sqlite3.base import DatabaseWrapper

    # A file, as `make run` has (the tests' own database is in memory, which has no write-ahead log).
    wrapper = DatabaseWrapper({**settings.DATABASES["default"], "NAME": str(tmp_path / "portal.sqlite3")}, "burst")
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert cursor.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
            assert cursor.execute("PRAGMA busy_timeout").fetchone() == (20_000,)
        # Every transaction takes the write lock at BEGIN, so a burst queues instead of failing mid-way.
        assert wrapper.transaction_mode == "IMMEDIATE"
    finally:
        wrapper.close()


# --- /healthz ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_each_dependency(client, private_media):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "storage": "ok"}}
    assert not any(private_media.rglob("*.*"))  # the probe file is gone


@pytest.mark.django_db
def test_healthz_fails_without_giving_anything_away(client, monkeypatch, settings):
    def broken():
        raise ConnectionError(f"cannot reach redis://:{settings.SECRET_KEY}@10.1.2.3:6379/0")

    monkeypatch.setitem(health.CHECKS, "broker", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error: ConnectionError"
    assert "10.1.2.3" not in response.content.decode()


# --- make serve ------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_database(tmp_path) -> str:
    """A database of its own: the stack migrates it and loads the datasets as a fresh install would."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    import psycopg

    base, _, name = url.rpartition("/")
    serve_name = f"{name}_serve"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{serve_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{serve_name}"')
    return f"{base}/{serve_name}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url, **headers):
    request = urllib.request.Request(url, headers={"Host": "127.0.0.1", **headers})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_make_serve_runs_gunicorn_a_worker_and_one_beat(tmp_path):
    port = _free_port()
    broker = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    env = production_env(
        DATABASE_URL=_serve_database(tmp_path),
        CELERY_BROKER_URL=broker,
        CACHE_URL="redis://127.0.0.1:6379/12" if broker.startswith("redis") else "locmemcache://",
        ALLOWED_HOSTS="127.0.0.1",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        CELERY_CONCURRENCY="1",
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "beat-schedule"),
        MAKEFLAGS=None,
        MFLAGS=None,
    )
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 (the stack writes to it until the finally below)
    stack = subprocess.Popen(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline and stack.poll() is None:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert status == 200, output
        assert json.loads(body)["checks"] == {"database": "ok", "broker": "ok", "storage": "ok"}

        # Plain HTTP is redirected to HTTPS; through the TLS proxy (X-Forwarded-Proto) the page is served.
        status, _ = _get(f"http://127.0.0.1:{port}/")
        assert status == 301
        status, page = _get(f"http://127.0.0.1:{port}/", **{"X-Forwarded-Proto": "https"})
        assert status == 200 and "LAGPeR" in page

        processes = subprocess.run(
            ["ps", "-o", "args=", "--sid", str(stack.pid)], capture_output=True, text=True
        ).stdout
        assert processes.count("celery -A accessportal beat") == 1, processes
        assert processes.count("celery -A accessportal worker") >= 1, processes
        assert "gunicorn accessportal.wsgi" in processes
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
        # make returns at once; the stack's own trap stops gunicorn, the worker and the beat gracefully.
        deadline = time.monotonic() + 60
        while _session_alive(stack.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _session_alive(stack.pid):
            os.killpg(stack.pid, signal.SIGKILL)
            pytest.fail("the stack was still running 60 s after SIGTERM")


def _session_alive(sid: int) -> bool:
    return subprocess.run(["ps", "--sid", str(sid)], capture_output=True).returncode == 0
