"""The reviewers' search: one folded text per request, and an index that finds a term inside it.

`LicenseRequest.search_text` is the request's reference, representative, organisation, unit and
email, one per line, folded by the database on every write (`SearchFold`), so no write path can
leave it stale. The index answers "which requests contain this term", at most `limit` of them:

- PostgreSQL: `portal_fold()` lower-cases and strips accents (unaccent) in every script; a pg_trgm
  GIN index answers LIKE '%term%'.
- SQLite: LOWER() folds ASCII only, so the folding for every script is the FTS5 trigram tokenizer's
  (case-insensitive in every script; accents removed too where SQLite is 3.45 or later). The FTS5
  table is kept by triggers on the requests table; `ensure_sqlite_index` recreates any trigger a
  table rebuild dropped (it runs after every migrate) and then rebuilds the index.

Terms shorter than three characters have no trigram: `matching_ids` returns None and the queue
walks its own order instead (selectors.with_search_matches), stopping at the first page and at
bounded counts.
"""

import sqlite3

from django.db import connection
from django.db.models import Func, Q, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

TRIGRAM = 3
REQUESTS_TABLE = "requests_app_licenserequest"
SQLITE_INDEX = "requests_app_request_search"
POSTGRES_INDEX = "request_search_trgm_idx"
# IMMUTABLE, as an index and a generated column need; unaccent() itself is only STABLE because its
# dictionary could change, which this portal never does. Schema-qualified so search_path cannot change it.
POSTGRES_FOLD = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE OR REPLACE FUNCTION portal_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));
"""


class SearchFold(Func):
    """Text as the search compares it: lower-cased, and on PostgreSQL without accents."""

    function = "LOWER"
    arity = 1

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="portal_fold", **extra_context)


def contains(term: str) -> Q:
    """The row-by-row test that a request's search text contains `term`, folded as the index folds it.

    For the walk that a term too short or too broad for `matching_ids` takes (a scan, never the index).
    """
    if connection.vendor == "postgresql":
        return Q(GreaterThan(StrIndex("search_text", SearchFold(Value(term))), 0))
    # SQLite's LOWER() folds ASCII letters only: another script's letter is stored as typed. Looking
    # for the term lower-cased and capitalised finds it typed either way (not in mixed case).
    variants = {term.lower(), "".join(c.lower() if c.isascii() else c for c in term.upper())}
    found = Q(pk__in=[])
    for variant in sorted(variants):
        found |= Q(GreaterThan(StrIndex("search_text", Value(variant)), 0))
    return found


def _sqlite_tokenizer() -> str:
    # remove_diacritics for the trigram tokenizer arrived in SQLite 3.45.
    return "trigram remove_diacritics 1" if sqlite3.sqlite_version_info >= (3, 45) else "trigram"


def _sqlite_triggers() -> dict[str, str]:
    insert = f"INSERT INTO {SQLITE_INDEX}(rowid, search_text) VALUES (new.id, new.search_text);"
    delete = (
        f"INSERT INTO {SQLITE_INDEX}({SQLITE_INDEX}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    )
    return {
        "request_search_ai": f"AFTER INSERT ON {REQUESTS_TABLE} BEGIN {insert} END",
        "request_search_ad": f"AFTER DELETE ON {REQUESTS_TABLE} BEGIN {delete} END",
        "request_search_au": f"AFTER UPDATE ON {REQUESTS_TABLE} BEGIN {delete} {insert} END",
    }


def ensure_sqlite_index(schema_connection) -> None:
    """Create the SQLite FTS5 index and its triggers where any is missing, and then (re)fill the index."""
    if schema_connection.vendor != "sqlite":
        return
    with schema_connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for (name,) in cursor.fetchall()}
        if REQUESTS_TABLE not in present:
            return  # migrating backwards past the requests table
        missing = [name for name in (SQLITE_INDEX, *_sqlite_triggers()) if name not in present]
        if not missing:
            return
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_INDEX} USING fts5(search_text, "
            f"content='{REQUESTS_TABLE}', content_rowid='id', tokenize='{_sqlite_tokenizer()}')"
        )
        for name, body in _sqlite_triggers().items():
            cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        cursor.execute(f"INSERT INTO {SQLITE_INDEX}({SQLITE_INDEX}) VALUES ('rebuild')")


def drop_sqlite_index(schema_connection) -> None:
    if schema_connection.vendor != "sqlite":
        return
    with schema_connection.cursor() as cursor:
        for name in _sqlite_triggers():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {SQLITE_INDEX}")


def matching_ids(term: str, *, limit: int, also=None) -> list[int] | None:
    """Ids of up to `limit` requests whose search text contains `term`, from the index, in one query.

    `also`, a queryset of request ids (the requests whose applicant's email matches), is added in the
    same query. None when the index cannot answer (a term shorter than a trigram). Drafts are
    included: the callers intersect with what the reviewer may see.
    """
    if len(term) < TRIGRAM:
        return None
    if connection.vendor == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'  # one FTS5 phrase: the term as typed, no operators
        sql, params = f"SELECT rowid FROM {SQLITE_INDEX} WHERE {SQLITE_INDEX} MATCH %s LIMIT %s", [phrase, limit]
    else:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = f"SELECT id FROM {REQUESTS_TABLE} WHERE search_text LIKE portal_fold(%s) LIMIT %s"
        params = [pattern, limit]
    if also is not None:
        also_sql, also_params = also[:limit].query.sql_with_params()
        sql = f"SELECT * FROM ({sql}) AS indexed UNION ALL SELECT * FROM ({also_sql}) AS also"
        params = [*params, *also_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]
