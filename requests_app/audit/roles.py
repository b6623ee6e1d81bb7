"""The PostgreSQL role the portal runs as: it reads and writes rows, and nothing more.

The tables belong to the migration role (the one `migrate` runs as). The app's role gets row
privileges only, and on the history SELECT and INSERT alone: it cannot UPDATE, DELETE or TRUNCATE
events, cannot ALTER or DROP a table (or DISABLE its triggers: that needs ownership), cannot
create triggers, and cannot set session_replication_role (superusers only). Run the SQL as the
migration role after every `migrate`: it is idempotent, and its default privileges cover tables
that later migrations create.
"""

from psycopg import sql

HISTORY = "requests_app_requestevent"


def app_role_statements(role: str, *, login: bool = True) -> list[sql.Composed]:
    r = sql.Identifier(role)
    create = sql.SQL(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN "
        "CREATE ROLE {role} {login} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; END $$"
    ).format(name=sql.Literal(role), role=r, login=sql.SQL("LOGIN" if login else "NOLOGIN"))
    return [
        create,
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(r),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(r),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(r),
        sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {}").format(r),
        sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(HISTORY), r),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(r),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(r),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}").format(r),
    ]


def app_role_sql(role: str, *, login: bool = True) -> str:
    """The statements as one script, for psql (identifiers and literals need no connection to quote)."""
    return "".join(f"{statement.as_string(None)};\n" for statement in app_role_statements(role, login=login))
