"""Cache keys for the public parts of pages (`{% cache %}` in their templates), named by what they show.

A fragment's key is a digest of every stored value of the rows it is rendered from, so a dataset
reloaded from its file, or an agreement's translations edited in the admin, gives a new key and the
page shows the new text at once, in every process: nothing has to be told to forget anything, and a
process's own local-memory cache never serves what another process changed. The template adds the
language to the key; a fragment holds no one's own data (no user, no CSRF token), only the rows'.
What renders the rows is in the key too (this release's templates, template tags and catalogues), so
a deploy does not keep serving the last release's HTML from a cache that outlived it (Redis).
"""

import functools
import hashlib
from pathlib import Path

from django.conf import settings
from django.db.models import Model


@functools.cache
def release_digest() -> bytes:
    """A digest of every file a fragment's HTML is made with besides the rows: read once per process."""
    digest = hashlib.sha256()
    folders = [*settings.LOCALE_PATHS, *settings.TEMPLATES[0]["DIRS"], Path(__file__).parent / "templatetags"]
    for folder in map(Path, folders):
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".html", ".txt", ".mo", ".py"} and path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode() + b"\x00" + path.read_bytes())
    return digest.digest()


def fragment_version(*rows: Model | None) -> str:
    """A digest of this release and of every concrete field's value of each of `rows` (None counts as a row too)."""
    digest = hashlib.sha256(release_digest())
    for row in rows:
        if row is None:
            digest.update(b"\x00none")
            continue
        digest.update(row._meta.label.encode())
        for field in row._meta.concrete_fields:
            digest.update(b"\x00" + repr(field.value_from_object(row)).encode())
    return digest.hexdigest()
