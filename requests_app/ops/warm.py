"""A web worker loads at its start what its first requests would otherwise load lazily.

Called by accessportal/wsgi.py once the application is built, so in every gunicorn worker (each
imports the WSGI module after it is forked) before it takes a connection: the first request a
worker serves then costs what the others cost, instead of several times more.
"""

import contextlib
import importlib
import logging
import sysconfig
import time
import wsgiref.util
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.template import engines
from django.template.loaders.app_directories import get_app_template_dirs
from django.urls import NoReverseMatch, URLResolver, get_resolver, resolve, reverse
from django.utils import translation

logger = logging.getLogger(__name__)
# A well-formed session key that no session has (keys are random lower-case letters and digits).
NO_SESSION = "warm" * 8


def warm(application) -> None:
    """Warm this process for `application` (the WSGI handler), finishing with the pages it serves first."""
    started = time.perf_counter()
    # Each language's catalogues, and its URL patterns (built per language, each namespace on its first reverse()).
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Licence portal")
            _populate(get_resolver())
    get_resolver().resolve("/")
    # What the ORM otherwise works out on each model's first query (compiled, not run).
    for model in apps.get_models():
        model._meta.get_fields()
        str(model._default_manager.all().query)
    templates = _compile_templates()
    from ..documents import pdf

    pdf.warm()
    if _serve_dataset_list(application):  # a worker that cannot serve the public page (no database yet) tries no other
        _serve_status_page()
    logger.info("worker warm: %s templates in %.2f s", templates, time.perf_counter() - started)


def _environ(path: str, **headers: str) -> dict:
    """A GET of `path` as the TLS proxy forwards it."""
    environ: dict = {"PATH_INFO": path, "HTTP_X_FORWARDED_PROTO": "https", "REMOTE_ADDR": "127.0.0.1", **headers}
    wsgiref.util.setup_testing_defaults(environ)
    environ["HTTP_HOST"] = next((host.lstrip(".") for host in settings.ALLOWED_HOSTS if "*" not in host), "localhost")
    return environ


def _serve_dataset_list(application) -> bool:
    """The public dataset list, through every middleware and the database: what no loading ahead reaches
    (compiled regular expressions, the ORM's and the request's lazily made parts) is made now. Its session
    cookie names no session, so the session is looked up (and found to be none) as a signed-in page's is."""
    environ = _environ("/", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}={NO_SESSION}")
    try:
        response = application(environ, lambda status, headers, exc_info=None: None)
        b"".join(response)
        response.close()
    except Exception:  # warming is an optimisation: a worker that cannot warm (no database yet) still serves
        logger.warning("worker not warmed: the dataset list failed", exc_info=True)
        return False
    return True


def _serve_status_page() -> None:
    """A licensee's status page, rendered for its licensee as a signed-in request is (the view, its selectors,
    its templates and every context processor), but without a session: nothing is written, no session is
    made, and the page goes nowhere. A portal with no licence yet has none to serve."""
    from ..models import LicenseRequest

    try:
        licence = (
            LicenseRequest.objects.filter(status=LicenseRequest.Status.APPROVED).select_related("applicant").first()
        )
        if licence is None:
            return
        request = WSGIRequest(_environ(licence.get_absolute_url()))
        request.session = importlib.import_module(settings.SESSION_ENGINE).SessionStore()  # unsaved: in memory only
        request.user = licence.applicant
        match = resolve(request.path_info)
        match.func(request, *match.args, **match.kwargs).close()
    except Exception:  # as for the dataset list: an optimisation, never a reason not to serve
        logger.warning("worker not warmed: a status page failed", exc_info=True)


def _populate(resolver: URLResolver, namespace: str = "") -> None:
    """Build `resolver`'s reverse lookups, and those reverse() builds for each namespace under it."""
    resolver.reverse_dict  # noqa: B018  (reading it builds it)
    for name, (_prefix, inner) in resolver.namespace_dict.items():
        path = f"{namespace}{name}:"
        # reverse() joins each namespace's prefix into a resolver of its own, built on its first use.
        if any_name := next((key for key in inner.reverse_dict if isinstance(key, str)), None):
            with contextlib.suppress(NoReverseMatch):  # a name that needs arguments: built all the same
                reverse(path + any_name)
        _populate(inner, path)


def _compile_templates() -> int:
    """Every template of the portal's own (not the libraries' hundreds, most never shown), into the cached loader."""
    engine = engines["django"]
    compiled = 0
    libraries = Path(sysconfig.get_paths()["purelib"]).resolve()
    for folder in [Path(folder) for folder in [*engine.dirs, *get_app_template_dirs("templates")]]:
        if folder.resolve().is_relative_to(libraries):
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix not in {".html", ".txt"} or not path.is_file():
                continue
            engine.get_template(path.relative_to(folder).as_posix())
            compiled += 1
    return compiled
