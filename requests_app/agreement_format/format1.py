"""The dataset file format 1 (files without `format`, e.g. datasets/lagper.toml), as a schema.

Read as strictly as format 2: unknown keys are refused and every problem is reported at once.
What a file says is turned into exactly the dicts the hand-written reader made, so an agreement
loaded from a format 1 file keeps its sha256 (the layout of format 2 would enter its canonical
text, so such a file is not converted). datasets/README.md's format 1 tables are tested against
these models.
"""

import re
from typing import Annotated, Literal

import pydantic as pd

from ..models import HF_REPO_ID
from . import languages, schema, spec
from .schema import STRICT, Required, Text, Whole

# Those that may also be asked in Latin letters beside the original (`romanised = true`).
ROMANISABLE_FIELDS = ("representative_name", "organisation")


def _slug(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9-]+", value):
        raise ValueError("must use lower-case letters, digits and hyphens only")
    return value


def _prefix(value: str) -> str:
    if not re.fullmatch(r"[A-Z0-9]{1,12}", value):
        raise ValueError("must be up to 12 upper-case letters or digits")
    return value


def _hf_repo(value: str) -> str:
    if value and not re.fullmatch(HF_REPO_ID, value, re.ASCII):
        raise ValueError('must be a Hugging Face repository id, "owner/name"')
    return value


def _signer_field_name(value: str) -> str:
    if value not in spec.WELL_KNOWN:
        raise ValueError(f"must be one of {', '.join(spec.WELL_KNOWN)}")
    return value


def _language(tag: str) -> str:
    if languages.portal_language(tag) is None:
        raise ValueError(f"{tag!r} is not a language the portal is offered in ({languages.offered_tags()})")
    if problem := languages.binding_problem(tag, binding="en"):
        raise ValueError(problem)
    return tag


Tag = Annotated[str, pd.AfterValidator(_language)]


class LabelTranslation(pd.BaseModel):
    model_config = STRICT
    label: Required


class SignerField(pd.BaseModel):
    model_config = STRICT
    name: Annotated[Required, pd.AfterValidator(_signer_field_name)]
    label: Required
    required: bool = True
    capitals: bool = False
    romanised: bool = False
    translations: dict[Tag, LabelTranslation] = pd.Field(default_factory=dict)


class Clause(pd.BaseModel):
    model_config = STRICT
    number: int
    title: Required
    text: Required


class Agreement(pd.BaseModel):
    model_config = STRICT
    version: Annotated[Required, pd.StringConstraints(max_length=40)]
    title: Required
    preamble: Text = ""
    signatory: Required
    closing: Text = ""
    clauses: list[Clause] = pd.Field(min_length=1)
    signer_fields: list[SignerField]


class Citation(pd.BaseModel):
    model_config = STRICT
    text: Required
    bibtex: Required


class CannedReason(pd.BaseModel):
    model_config = STRICT
    use: Literal["return", "reject"]
    label: Required
    text: Required


class DatasetFile(pd.BaseModel):
    model_config = STRICT
    slug: Annotated[Required, pd.AfterValidator(_slug)]
    name: Required
    full_name: Required
    reference_prefix: Annotated[Required, pd.AfterValidator(_prefix)]
    description: Required
    owner: Required
    contact_name: Required
    contact_email: Required
    homepage: Text = ""
    turnaround_days: Whole = 10
    licence_duration_days: Whole = 0
    hf_repo: Annotated[Text, pd.AfterValidator(_hf_repo)] = ""
    representative_confirmation_required: bool = False
    delivery_instructions: Required
    facts: dict[str, Text] = pd.Field(default_factory=dict)
    citation: Citation
    canned_reasons: list[CannedReason] | None = None  # absent: whatever the admin set stays
    agreement: Agreement


def _consistency(model: DatasetFile):
    """(key path, problem) for what concerns several items: the clauses' order, the fields' names."""
    for i, clause in enumerate(model.agreement.clauses):
        if clause.number != i + 1:
            yield ("agreement", "clauses", i, "number"), f"must be {i + 1}: clauses are numbered in order from 1"
    seen = set()
    for i, field in enumerate(model.agreement.signer_fields):
        if field.name in seen:
            yield ("agreement", "signer_fields", i, "name"), f"{field.name!r} is listed twice"
        seen.add(field.name)
        if field.romanised and field.name not in ROMANISABLE_FIELDS:
            yield (
                ("agreement", "signer_fields", i, "romanised"),
                f"is possible only for {', '.join(ROMANISABLE_FIELDS)}",
            )


def errors(data: dict, text: str) -> tuple[DatasetFile | None, list[tuple[str, int | None, str]]]:
    """The validated file, or every problem as (key path, line, problem)."""
    model, problems = schema.errors(data, text, model=DatasetFile)
    if model is not None:
        problems = [(schema.key_path(loc), schema.line_of(text, loc), problem) for loc, problem in _consistency(model)]
    return (None if problems else model), problems


def to_internal(model: DatasetFile) -> tuple[dict, dict]:
    """(dataset fields, agreement) exactly as the format 1 reader has always stored them."""
    dataset = {**schema.dataset_columns(model), "hf_repo": model.hf_repo}
    if model.canned_reasons is not None:
        dataset["canned_reasons"] = [r.model_dump() for r in model.canned_reasons]
    a = model.agreement
    signer_fields = []
    for f in a.signer_fields:
        signer_fields.append({"name": f.name, "label": f.label, "required": f.required, "capitals": f.capitals})
        # Kept out of the spec when false, so that an agreement which never asks for it keeps its sha256.
        if f.romanised:
            signer_fields[-1]["romanised"] = True
    agreement = {
        "version": a.version,
        "title": a.title,
        "preamble": a.preamble,
        "clauses": [c.model_dump() for c in a.clauses],
        "signer_fields": signer_fields,
        "signatory": a.signatory,
        "closing": a.closing,
        # The form's labels in other languages: the portal's wording, outside the fingerprint.
        "translations": languages.portal_wording(
            fields=[(f.name, f.translations) for f in a.signer_fields], signers=()
        ),
    }
    return dataset, agreement
