"""System checks of the production profile (also run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from accessportal.checks import secret_key_problem


@register(Tags.security)
def check_secret_key(app_configs, **kwargs):
    """Outside DEBUG, a short or predictable SECRET_KEY is an error, not Django's deploy-only warning."""
    if settings.DEBUG:
        return []
    problem = secret_key_problem(settings.SECRET_KEY)
    return [Error(problem, id="accessportal.E001")] if problem else []


@register(Tags.security)
def check_trusted_proxies(app_configs, **kwargs):
    import ipaddress

    errors = []
    for proxy in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(proxy.strip(), strict=False)
        except ValueError:
            errors.append(Error(f"TRUSTED_PROXIES: {proxy!r} is not an address or network.", id="accessportal.E002"))
    return errors


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    """Several web processes must count login attempts in one place, or each has its own limit."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            Warning(
                "The cache is per process: rate limits are multiplied by the number of web workers.",
                hint="Set CACHE_URL=redis://HOST:6379/1 (any cache all web processes share).",
                id="accessportal.W001",
            )
        ]
    return []
