"""A throw-away portal served by gunicorn as bin/serve serves it: the production profile, 2 sync workers.

    with Site("sqlite", queue=2000, applicants=0) as site:
        site.get("/", session=site.data["alice"])

Each Site makes its own database (a SQLite file in a temporary folder, or bench_<pid>_<n> on the
PostgreSQL server), migrates and fills it (populate.py), starts gunicorn on a free local port
and, on leaving, stops gunicorn and drops the database. The settings module is bench.harness.settings:
the product's, plus the bare views. Mail goes nowhere and tasks to an in-process broker: the
figures are the web process's.
"""

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.report import SMOKE

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
WORKERS = 2
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_server() -> str | None:
    """The PostgreSQL server to make databases on: DATABASE_URL's when it is PostgreSQL; in a full run,
    else BENCH_POSTGRES_URL (default: this machine's). None when there is none to use (said why)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        if SMOKE:
            print("  PostgreSQL skipped: DATABASE_URL is not PostgreSQL (a smoke run uses only that database)")
            return None
        url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        print(f"  PostgreSQL skipped: {url} not reachable ({str(error).strip()})")
        return None
    return url


def databases() -> list[tuple[str, str | None]]:
    """(label, server) for every database a benchmark runs on: SQLite, and PostgreSQL when there is one."""
    found: list[tuple[str, str | None]] = [("SQLite", None)]
    if server := postgres_server():
        found.append(("PostgreSQL", server))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    count = 0

    def __init__(self, postgres: str | None, *, queue: int, applicants: int, workers: int = WORKERS):
        self.postgres, self.options, self.workers = postgres, {"queue": queue, "applicants": applicants}, workers
        self.folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        Site.count += 1
        self.database_name = f"bench_{os.getpid()}_{Site.count}"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None

    # --- setting up and tearing down ---------------------------------------------------------------

    def environment(self) -> dict:
        if self.postgres:
            database = self.postgres.rsplit("/", 1)[0] + "/" + self.database_name
        else:
            database = f"sqlite:///{self.folder / 'portal.sqlite3'}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.harness.settings",
            "PORTAL_PROFILE": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database,
            "MEDIA_ROOT": str(self.folder / "private"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CELERY_BROKER_URL": "memory://localhost/",
            "LOG_LEVEL": "WARNING",
            "AUDIT_DIGEST_DIR": str(self.folder / "audit"),
            "BENCH_READY_DIR": str(self.folder / "ready"),
            "LICENCE_TOKEN_KEY_FILE": str(self.folder / "licence-token-key.pem"),
        }
        if SMOKE:  # no manifest to collect: the figures of a smoke run mean nothing anyway
            env["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
        else:
            env["BENCH_STATIC_ROOT"] = str(self.folder / "static")
        return env

    def __enter__(self) -> "Site":
        # Stopped by a signal, the bench still stops its server and drops its database (__exit__).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
        env = self.environment()
        try:
            if self.postgres:
                self._postgres(f'CREATE DATABASE "{self.database_name}"')
            if not SMOKE:
                subprocess.run(
                    [BIN / "python", "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
                    cwd=ROOT,
                    env=env,
                    check=True,
                )
            populated = subprocess.run(
                [BIN / "python", "-m", "bench.harness.populate", json.dumps(self.options)],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            self.data = json.loads(populated.stdout.strip().splitlines()[-1])
            self._start(env)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self, env: dict) -> None:
        (self.folder / "ready").mkdir()
        self.error_log = self.folder / "gunicorn.log"
        # bin/serve's command line, on a free port; the config file only reports each worker ready.
        self.server = subprocess.Popen(
            [
                BIN / "gunicorn",
                "accessportal.wsgi",
                "--bind",
                self.host,
                "--workers",
                str(self.workers),
                "--access-logfile",
                str(self.folder / "access.log"),
                "--error-logfile",
                str(self.error_log),
                "--forwarded-allow-ips",
                "127.0.0.1",
                "--config",
                "bench/harness/gunicorn_conf.py",
            ],
            cwd=ROOT,
            env=env,
        )
        self.wait_for_workers(set())

    def ready_workers(self) -> set[str]:
        return {path.name for path in (self.folder / "ready").iterdir()}

    def wait_for_workers(self, old: set[str], timeout: float = 60) -> None:
        """Until `workers` workers not in `old` have loaded the application."""
        deadline = time.monotonic() + timeout
        while len(self.ready_workers() - old) < self.workers:
            if self.server is None or self.server.poll() is not None or time.monotonic() > deadline:
                log = self.error_log.read_text(errors="replace")[-3000:] if self.error_log.exists() else ""
                raise RuntimeError(f"gunicorn did not start its workers:\n{log}")
            time.sleep(0.05)

    def restart_workers(self) -> None:
        """Fresh workers (gunicorn's HUP): their first requests are what a newly started server serves."""
        assert self.server is not None
        old = self.ready_workers()
        self.server.send_signal(signal.SIGHUP)
        self.wait_for_workers(old)
        time.sleep(0.2)  # the old workers finish exiting, so they take no CPU from the new ones

    def __exit__(self, *exc) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if self.postgres:
            with contextlib.suppress(Exception):
                self._postgres(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(self.folder)], check=False)

    def _postgres(self, statement: str) -> None:
        import psycopg

        assert self.postgres
        with psycopg.connect(self.postgres, autocommit=True) as connection:
            connection.execute(statement)

    # --- the client ----------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        session: str | None = None,
        form: dict | None = None,
        cookies: dict | None = None,
    ) -> tuple[int, dict, bytes]:
        """One request on its own connection (gunicorn's sync workers close each), as the TLS proxy
        forwards it. Returns status, headers (lower-case names; set-cookie values joined) and body."""
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "Host": self.host}
        jar = dict(cookies or {})
        if session:
            jar["sessionid"] = session
        if jar:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{self.host}"
            headers["Referer"] = f"https://{self.host}{path}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            received: dict[str, str] = {}
            for name, value in response.getheaders():
                name = name.lower()
                received[name] = f"{received[name]}\n{value}" if name in received else value
            return response.status, received, content
        finally:
            connection.close()

    def get(self, path: str, **options) -> tuple[int, dict, bytes]:
        return self.request("GET", path, **options)

    def timed_get(self, path: str, **options) -> float:
        """Milliseconds for one GET that must answer 200."""
        started = time.perf_counter()
        status, _, _ = self.get(path, **options)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return elapsed
