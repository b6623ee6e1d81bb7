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

A request also matches by its applicant's account email (`_of_applicants`), indexed the same way:
a trigram index of UPPER(email) on PostgreSQL, a second FTS5 table on SQLite.

Terms shorter than three characters have no trigram: `matching_ids` returns None and the queue
walks its own order instead (selectors.with_search_matches), stopping at the first page and at
bounded counts.

A term of several words ("university 123") is found through a narrow word of it: the index lists the
requests containing that word, and only those are tested for the whole term. Asked for the whole
term at once, the index would merge the lists of every trigram of it, a list of nearly every request
for each trigram of a word that nearly every request contains.
"""

import sqlite3
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Func, Q, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

TRIGRAM = 3
REQUESTS_TABLE = "requests_app_licenserequest"
SQLITE_INDEX = "requests_app_request_search"
POSTGRES_INDEX = "request_search_trgm_idx"
ACCOUNTS_TABLE = "auth_user"
SQLITE_ACCOUNT_INDEX = "requests_app_account_search"
# icontains on PostgreSQL compares UPPER(email::text) LIKE UPPER(term): the index is of that expression.
ACCOUNT_POSTGRES_INDEX = "account_email_trgm_idx"
ACCOUNT_POSTGRES_INDEX_SQL = f"CREATE INDEX IF NOT EXISTS {ACCOUNT_POSTGRES_INDEX} ON {ACCOUNTS_TABLE} USING gin ((UPPER(email::text)) gin_trgm_ops)"
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


def _removes_diacritics() -> bool:
    # remove_diacritics for the trigram tokenizer arrived in SQLite 3.45.
    return sqlite3.sqlite_version_info >= (3, 45)


def _sqlite_tokenizer() -> str:
    return "trigram remove_diacritics 1" if _removes_diacritics() else "trigram"


@dataclass(frozen=True)
class _SqliteIndex:
    """An FTS5 trigram index of one column of `table`, kept by triggers on that table."""

    name: str
    table: str
    column: str
    trigger_prefix: str

    def triggers(self) -> dict[str, str]:
        insert = f"INSERT INTO {self.name}(rowid, {self.column}) VALUES (new.id, new.{self.column});"
        delete = (
            f"INSERT INTO {self.name}({self.name}, rowid, {self.column}) VALUES ('delete', old.id, old.{self.column});"
        )
        return {
            f"{self.trigger_prefix}_ai": f"AFTER INSERT ON {self.table} BEGIN {insert} END",
            f"{self.trigger_prefix}_ad": f"AFTER DELETE ON {self.table} BEGIN {delete} END",
            f"{self.trigger_prefix}_au": f"AFTER UPDATE ON {self.table} BEGIN {delete} {insert} END",
        }


_SQLITE_INDEXES = (
    _SqliteIndex(SQLITE_INDEX, REQUESTS_TABLE, "search_text", "request_search"),
    # The applicant's account email: a request matches by it too, found without reading every account.
    _SqliteIndex(SQLITE_ACCOUNT_INDEX, ACCOUNTS_TABLE, "email", "account_search"),
)


def ensure_sqlite_index(schema_connection) -> None:
    """Create the SQLite FTS5 indexes and their triggers where any is missing, and then (re)fill that index."""
    if schema_connection.vendor != "sqlite":
        return
    with schema_connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for (name,) in cursor.fetchall()}
        if REQUESTS_TABLE not in present:
            return  # migrating backwards past the requests table
        for index in _SQLITE_INDEXES:
            if all(name in present for name in (index.name, *index.triggers())):
                continue
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {index.name} USING fts5({index.column}, "
                f"content='{index.table}', content_rowid='id', tokenize='{_sqlite_tokenizer()}')"
            )
            for name, body in index.triggers().items():
                cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
            cursor.execute(f"INSERT INTO {index.name}({index.name}) VALUES ('rebuild')")


def drop_sqlite_index(schema_connection) -> None:
    if schema_connection.vendor != "sqlite":
        return
    with schema_connection.cursor() as cursor:
        for index in _SQLITE_INDEXES:
            for name in index.triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {index.name}")


def _phrase(term: str) -> str:
    """`term` as one FTS5 phrase: the term as typed, no operators."""
    return '"' + term.replace('"', '""') + '"'


def _pattern(term: str) -> str:
    """`term` as a LIKE pattern that finds it anywhere, its wildcards matched as themselves."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# What POSTGRES_INDEX answers, given _pattern(term): both sides folded as the index is built.
_POSTGRES_INDEXED = "search_text LIKE portal_fold(%s)"


def _indexed(term: str, limit: int) -> tuple[str, list]:
    """SQL (and its parameters) of the ids of up to `limit` requests whose search text contains `term`, from the index."""
    if connection.vendor == "sqlite":
        sql, params = f"SELECT rowid FROM {SQLITE_INDEX} WHERE {SQLITE_INDEX} MATCH %s", [_phrase(term)]
    else:
        sql, params = f"SELECT id FROM {REQUESTS_TABLE} WHERE {_POSTGRES_INDEXED}", [_pattern(term)]
    return f"{sql} LIMIT %s", [*params, limit]


def _of_applicants(term: str, limit: int) -> tuple[str, list]:
    """SQL (and its parameters) of the ids of up to `limit` requests whose applicant's account email contains `term`."""
    if connection.vendor == "sqlite":
        accounts = f"SELECT rowid FROM {SQLITE_ACCOUNT_INDEX} WHERE {SQLITE_ACCOUNT_INDEX} MATCH %s"
        params = [_phrase(term)]
    else:  # as Django's icontains compares, which ACCOUNT_POSTGRES_INDEX indexes
        accounts = f"SELECT id FROM {ACCOUNTS_TABLE} WHERE UPPER(email::text) LIKE UPPER(%s)"
        params = [_pattern(term)]
    return f"SELECT id FROM {REQUESTS_TABLE} WHERE applicant_id IN ({accounts}) LIMIT %s", [*params, limit]


def _fold(text: str) -> str:
    """`text` close to as SQLite's trigram tokenizer compares it: lower-cased in every script, and
    without accents where the tokenizer removes them (_sqlite_tokenizer).

    Close, not equal: Python lower-cases a few letters to two ("İ"), and strips every accent of a
    letter where the tokenizer keeps a letter of two accents ("ệ"). Recomposed afterwards, so that a
    Hangul syllable stays one letter and "하" is not found inside "한".
    """
    text = text.lower()
    if not _removes_diacritics():
        return text
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)


def _containing(word: str, term: str, limit: int) -> list[tuple[int, bool]]:
    """Up to `limit` requests whose search text contains `word`, each with whether it contains `term` too."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Tested here, folded as the index folds: SQLite's LOWER() folds ASCII letters only.
            sql, params = _indexed(word, limit)
            cursor.execute(f"SELECT id, search_text FROM {REQUESTS_TABLE} WHERE id IN ({sql})", params)
            folded = _fold(term)
            return [(pk, folded in _fold(text)) for pk, text in cursor.fetchall()]
        cursor.execute(  # `term` tested as contains() tests it, which no index serves
            f"SELECT id, STRPOS(search_text, portal_fold(%s)) > 0 FROM {REQUESTS_TABLE}"
            f" WHERE {_POSTGRES_INDEXED} LIMIT %s",
            [term, _pattern(word), limit],
        )
        return cursor.fetchall()


WORDS_TRIED = 3


def _through_a_narrow_word(term: str, limit: int) -> list[int] | None:
    """Ids of up to `limit` requests whose search text contains `term`, a term of several words, found
    among the requests containing one of its words: the first that fewer than `limit` requests
    contain, of its WORDS_TRIED shortest (they cost least to look up; each tried costs a query). None
    for a term of one word, or when each word tried is in `limit` requests or more.
    """
    words = term.split()
    if len(words) < 2:
        return None
    for word in sorted(dict.fromkeys(word for word in words if len(word) >= TRIGRAM), key=len)[:WORDS_TRIED]:
        found = _containing(word, term, limit)
        if len(found) < limit:
            return [pk for pk, contains_term in found if contains_term]
    return None


def matching_ids(term: str, *, limit: int) -> list[int] | None:
    """Ids of up to `limit` requests whose search text, or applicant's account email, contains `term`,
    from the indexes: in one query, or for a term of several words first through one of its words
    (`_through_a_narrow_word`, which needs no email: an email address has no spaces).

    A request found both ways is listed twice. None when the index cannot answer (a term shorter
    than a trigram). Drafts are included: the callers intersect with what the reviewer may see.
    """
    if len(term) < TRIGRAM:
        return None
    if (found := _through_a_narrow_word(term, limit)) is not None:
        return found
    (sql, params), (of_applicants, applicants_params) = _indexed(term, limit), _of_applicants(term, limit)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM ({sql}) AS indexed UNION ALL SELECT * FROM ({of_applicants}) AS of_applicants",
            [*params, *applicants_params],
        )
        return [pk for (pk,) in cursor.fetchall()]
