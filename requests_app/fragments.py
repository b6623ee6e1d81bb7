"""Cache keys for the public parts of pages (`{% cache %}` in their templates), named by what they show.

A fragment's key is a digest of every stored value of the rows it is rendered from, so a dataset
reloaded from its file, or an agreement's translations edited in the admin, gives a new key and the
page shows the new text at once, in every process: nothing has to be told to forget anything, and a
process's own local-memory cache never serves what another process changed. The template adds the
language to the key; a fragment holds no one's own data (no user, no CSRF token), only the rows'.
"""

import hashlib

from django.db.models import Model


def fragment_version(*rows: Model | None) -> str:
    """A digest of every concrete field's value of each of `rows` (None counts as a row too)."""
    digest = hashlib.sha256()
    for row in rows:
        if row is None:
            digest.update(b"\x00none")
            continue
        digest.update(row._meta.label.encode())
        for field in row._meta.concrete_fields:
            digest.update(b"\x00" + repr(field.value_from_object(row)).encode())
    return digest.hexdigest()
