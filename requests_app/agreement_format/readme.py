"""datasets/README.md's key tables, generated from the schema so the two never drift.

    .venv/bin/python -m requests_app.agreement_format.readme --write   # regenerate the README section

tests/agreement_format/test_dataset_readme.py fails when the README's section differs from `section()`.
"""

import sys
import types
import typing
from pathlib import Path

import pydantic as pd

from . import schema, spec

README = Path(__file__).resolve().parents[2] / "datasets" / "README.md"
START, END = "<!-- generated from requests_app/agreement_format/schema.py: start -->", "<!-- generated: end -->"

TABLES = [
    ("Top level", schema.DatasetFileModel),
    ("`[citation]` (optional)", schema.CitationModel),
    ("`[agreement]` (required)", schema.AgreementModel),
    ("`[[agreement.clauses]]` (one or more, in order)", schema.ClauseModel),
    ("`[[agreement.signers]]` (one or more, in the order they sign)", schema.SignerModel),
    ("`[[agreement.signers.fields]]` (under each signer, in order)", schema.FieldModel),
    ("`[agreement.countersignature]` (optional)", schema.CountersignatureModel),
    ("A clause's `translations.<language>` (optional)", schema.ClauseTranslation),
    ("A signer's `translations.<language>` (optional)", schema.SignerTranslation),
    ("A field's `translations.<language>` (optional)", schema.FieldTranslation),
]


def _type(info: pd.fields.FieldInfo) -> str:
    annotation = info.annotation
    origin = typing.get_origin(annotation)
    limit = next((m.max_length for m in info.metadata if getattr(m, "max_length", None)), None)
    if origin is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
        origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        return (
            " / ".join(f"`{v}`" if isinstance(v, int) else f'`"{v}"`' for v in values)
            if len(values) < 5
            else "a field type (below)"
        )
    if origin in (typing.Union, types.UnionType):
        return next(
            _type(pd.fields.FieldInfo(annotation=a)) for a in typing.get_args(annotation) if a is not type(None)
        )
    if annotation is bool:
        return "true / false"
    if annotation is int:
        return "whole number"
    if annotation is str:
        pattern = any(getattr(m, "pattern", None) for m in info.metadata)
        return ("string (see meaning)" if pattern else "string") + (f", ≤ {limit}" if limit else "")
    if origin is list:
        return "list"
    if origin is dict:
        return "table"
    if isinstance(annotation, type) and issubclass(annotation, pd.BaseModel):
        return "table"
    return "string"


def _required(info: pd.fields.FieldInfo) -> str:
    if info.is_required():
        return "yes"
    default = info.get_default(call_default_factory=True)
    if default in ("", None, [], {}) or isinstance(default, pd.BaseModel):
        return "no"
    return f"no (`{str(default).lower() if isinstance(default, bool) else default}`)"


def table(model: type[pd.BaseModel]) -> str:
    rows = ["| key | type | required | meaning |", "| --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        rows.append(f"| `{name}` | {_type(info)} | {_required(info)} | {info.description} |")
    return "\n".join(rows)


def field_types() -> str:
    rows = ["| `type` | holds | default `max_length` |", "| --- | --- | --- |"]
    for name, (what, limit) in spec.FIELD_TYPES.items():
        rows.append(f"| `{name}` | {what} | {limit or '—'} |")
    return "\n".join(rows)


def section() -> str:
    parts = [START, ""]
    for title, model in TABLES:
        parts += [f"### {title}", "", (model.__doc__ or "").strip(), "", table(model), ""]
    parts += ["### Field types", "", field_types(), "", END]
    return "\n".join(parts)


def current() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index(START) : text.index(END) + len(END)]


def write() -> None:
    text = README.read_text(encoding="utf-8")
    README.write_text(text.replace(current(), section()), encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        print(section())
