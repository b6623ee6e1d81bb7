"""What the views share about HTTP: selectors raise DoesNotExist, the view answers 404."""

import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404

P = ParamSpec("P")
T = TypeVar("T")

# What a licence reference can look like (LAGPER-2026-000123, TWO-SIG-2026-000001: a dataset's
# prefix may have hyphens); URLs match references as slugs.
REFERENCE = re.compile(r"(?:[A-Za-z0-9]{1,12}-){1,6}[0-9]{4}-[0-9]{1,12}")


def found_or_404(read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """What the selector `read` found; a 404 when it found nothing (strangers learn nothing, not even that)."""
    try:
        return read(*args, **kwargs)
    except ObjectDoesNotExist:
        raise Http404("Not found.") from None
