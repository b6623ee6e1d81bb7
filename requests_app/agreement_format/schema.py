"""The dataset file format 2, as a schema: every key, its type, default and meaning, in one place.

`parse` checks a whole file and reports every problem at once, each as `KEY: problem (line N)`;
datasets/README.md's key tables are generated from these models (readme.py), and a test fails when
the README and the schema differ. Unknown keys are refused: a typo must not be silently ignored.
"""

import re
from typing import Annotated, Literal, TypeVar

import pydantic as pd

from . import languages, spec

STRICT = pd.ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)
Text = Annotated[str, pd.StringConstraints(strip_whitespace=True)]
Required = Annotated[str, pd.StringConstraints(strip_whitespace=True, min_length=1)]
Key = Annotated[str, pd.StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Language = Annotated[str, pd.StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
Whole = Annotated[int, pd.Field(ge=0)]
M = TypeVar("M", bound=pd.BaseModel)

FieldType = Literal[tuple(spec.FIELD_TYPES)]  # type: ignore[valid-type]
_TEXT_TYPES = {"text", "capitals", "long_text", "email", "phone", "url"}
_COMPATIBLE = {  # a well-known column accepts these types
    "text": {"text", "capitals"},
    "long_text": {"long_text", "text", "capitals"},
    "date": {"date"},
    "email": {"email"},
    "phone": {"phone", "text"},
    "url": {"url"},
}
_WELL_KNOWN_TYPES = {**spec.WELL_KNOWN, **spec.WELL_KNOWN_VALUES}


def _doc(description: str, **kwargs):
    return pd.Field(description=description, **kwargs)


_TRANSLATIONS = (
    "Optional: this {what} in the portal's other languages, by language tag: "
    "`translations.zh-Hans = {{ {example} }}`. Pages show the reader's language; the PDF prints the {binding}."
)


class FieldTranslation(pd.BaseModel):
    """A field's wording in another language (what the portal's form shows; the PDF keeps the file's)."""

    model_config = STRICT
    label: Required = _doc("The label.")
    help: Text = _doc("The hint under the field.", default="")
    romanised_label: Text = _doc("The romanised companion's label.", default="")
    options: list[Required] = _doc(
        "The choices, in the order of `options`; the value stored is the file's.", default_factory=list
    )


class SignerTranslation(pd.BaseModel):
    """A signer's heading in another language."""

    model_config = STRICT
    title: Required = _doc("The heading of their block on the form.")


class ClauseTranslation(pd.BaseModel):
    """A clause in another language: shown beside the binding text (on the PDF after it), marked as a courtesy translation."""

    model_config = STRICT
    title: Text = _doc("The clause's title.", default="")
    heading: Text = _doc("The section heading.", default="")
    text: Text = _doc(
        "The clause's text, as the owner translated it (the portal never machine-translates).", default=""
    )


class FieldModel(pd.BaseModel):
    """One thing a signer fills in (or, for `signature`, where they sign)."""

    model_config = STRICT
    key: Key = _doc(
        "The value's name, unique in the file: lower-case letters, digits and `_`. Eight names are "
        "well-known and also fill the request's searchable columns: "
        + ", ".join(f"`{k}`" for k in spec.WELL_KNOWN)
        + ". "
        + ", ".join(f"`{k}` (type `{kind}`)" for k, (kind, _limit) in spec.WELL_KNOWN_VALUES.items())
        + " is well-known too: the reviewers' signals compare the applicant's and representative's email "
        "domains with its host."
    )
    label: Required = _doc("The label on the form, the request page and the PDF, worded as the agreement words it.")
    type: FieldType = _doc("What it holds; see the field types below.", default="text")
    required: bool = _doc(
        "Whether it must be filled in (a checkbox: ticked) to submit; a draft may leave it empty.", default=True
    )
    help: Text = _doc("A hint shown under the field on the form.", default="")
    max_length: int | None = _doc(
        "For text types: the most characters accepted (default: the type's).", default=None, ge=1, le=4000
    )
    options: list[Required] = _doc(
        "For `choice`: the choices, in order, worded as the agreement words them.", default_factory=list
    )
    romanised_label: Text = _doc(
        "For `capitals`: also ask for the value in Latin letters (e.g. a Chinese name in pinyin), under this label.",
        default="",
    )
    searchable: bool = _doc(
        "For text types: whether the reviewers' queue search finds a request by this value (a supervisor's "
        "name, say). Fields of type `email` and the well-known ones always are.",
        default=False,
    )
    translations: dict[str, FieldTranslation] = _doc(
        _TRANSLATIONS.format(what="field's wording", example='label = "…", help = "…"', binding="file's `label`"),
        default_factory=dict,
    )

    @pd.model_validator(mode="after")
    def _consistent(self):
        if self.options and self.type != "choice":
            raise ValueError('`options` are only for type "choice"')
        if self.type == "choice" and len(self.options) < 2:
            raise ValueError("a choice needs at least two `options`")
        if self.romanised_label and self.type != "capitals":
            raise ValueError('`romanised_label` is only for type "capitals"')
        for key in ("max_length", "searchable"):
            if getattr(self, key) not in (None, False) and self.type not in _TEXT_TYPES:
                raise ValueError(f"`{key}` is only for text types, not {self.type!r}")
        if self.key in _WELL_KNOWN_TYPES:
            kind, limit = _WELL_KNOWN_TYPES[self.key]
            if self.type not in _COMPATIBLE[kind]:
                raise ValueError(f"the well-known key {self.key!r} must have type {kind!r}")
            if limit and (self.max_length or spec.FIELD_TYPES[self.type][1] or 0) > limit:
                raise ValueError(f"the well-known key {self.key!r} holds at most {limit} characters: set `max_length`")
        if self.key == spec.PURPOSE_KEY:
            raise ValueError("`research_purpose` is asked by `agreement.research_purpose = true`, not as a field")
        if self.key.endswith(spec.ROMANISED_SUFFIX):
            raise ValueError(f"a key may not end in {spec.ROMANISED_SUFFIX!r}: that names a romanised companion")
        languages.check_tags(self.translations)
        for tag, translated in self.translations.items():
            if translated.romanised_label and not self.romanised_label:
                raise ValueError(f"translations.{tag}.romanised_label: the field has no `romanised_label`")
            if translated.options and len(translated.options) != len(self.options):
                raise ValueError(f"translations.{tag}.options: give one translation per option ({len(self.options)})")
        return self


class SignerModel(pd.BaseModel):
    """Someone who signs (the researcher, their supervisor, the institution's representative…)."""

    model_config = STRICT
    key: Key = _doc("Names the signer in the file, e.g. `researcher`.")
    title: Required = _doc('The heading of their block on the form and the PDF, e.g. "Researcher".')
    fields: list[FieldModel] = _doc(
        "What they fill in, in order. Without a `signature` field they sign below their fields.",
        min_length=1,
    )
    translations: dict[str, SignerTranslation] = _doc(
        _TRANSLATIONS.format(what="signer's heading", example='title = "…"', binding="file's `title`"),
        default_factory=dict,
    )

    @pd.model_validator(mode="after")
    def _languages(self):
        languages.check_tags(self.translations)
        return self


class CountersignatureModel(pd.BaseModel):
    """The owner's own signature block, for agreements the owner countersigns (an executed agreement)."""

    model_config = STRICT
    title: Required = _doc(
        'The heading of the owner\'s block on the PDF, e.g. "For Northwestern Polytechnical University".'
    )
    signatory: Text = _doc(
        'Printed under the owner\'s signature line: who signs for the owner, e.g. "Dean of the School of Computing".',
        default="",
    )


class ClauseModel(pd.BaseModel):
    """One clause. Applicants accept each clause separately; its text is stored and fingerprinted."""

    model_config = STRICT
    number: int | None = _doc(
        "Optional; if given, 1 for the first clause, 2 for the next… (clauses are numbered in order).", default=None
    )
    title: Text = _doc('Optional, e.g. "Commercial Use"; many agreements number untitled clauses.', default="")
    heading: Text = _doc("Optional section heading printed before this clause.", default="")
    text: Required = _doc(
        "The clause, worded exactly as the owner's agreement words it. Blank lines separate paragraphs."
    )
    translations: dict[str, ClauseTranslation] = _doc(
        _TRANSLATIONS.format(
            what="clause", example='title = "…", text = "…"', binding="binding `text` and every translation after it"
        )
        + " A translation is shown beside the binding text, marked as a courtesy translation that names the "
        "language which binds; like the clause, a changed translation publishes a new version.",
        default_factory=dict,
    )

    @pd.model_validator(mode="after")
    def _languages(self):
        languages.check_tags(self.translations)
        for tag, translated in self.translations.items():
            if not (translated.title or translated.heading or translated.text):
                raise ValueError(f"translations.{tag}: give the `title`, `heading` or `text` in that language")
            for key in ("title", "heading"):
                if getattr(translated, key) and not getattr(self, key):
                    raise ValueError(f"translations.{tag}.{key}: the clause has no `{key}`")
        return self


class AgreementModel(pd.BaseModel):
    """The agreement's wording. Any change to it (except `version`, `licensees_must_reaccept` and the signers' and fields' `translations`) publishes a new version."""

    model_config = STRICT
    version: Annotated[str, pd.StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = _doc(
        'Your label for this wording, e.g. `"1"` or `"2024-03"`.'
    )
    title: Annotated[str, pd.StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] = _doc(
        "The agreement's heading."
    )
    language: Language = _doc("The language of the binding text (`translations` are for reading only).", default="en")
    preamble: Text = _doc("Text before the clauses. Blank lines separate paragraphs.", default="")
    before_signers: Text = _doc("Text between the clauses and the signers' blocks.", default="")
    signatory: Text = _doc("Optional sentence on who must sign, printed after the signers' blocks.", default="")
    closing: Text = _doc("Text after the signatures (contact lines and the like).", default="")
    submission: Text = _doc("How to submit, when the agreement says (email subject, attachment name…).", default="")
    research_purpose: bool = _doc(
        "Whether to ask for the research purpose (a long text, after the signers' fields).", default=False
    )
    licensees_must_reaccept: bool = _doc(
        "When this file publishes a changed wording: whether holders of an active licence must accept the changed "
        "clauses before they see the delivery instructions again. Not part of the wording.",
        default=False,
    )
    clauses: list[ClauseModel] = _doc("`[[agreement.clauses]]`, one or more, in order.", min_length=1)
    signers: list[SignerModel] = _doc("`[[agreement.signers]]`, one or more, in the order they sign.", min_length=1)
    countersignature: CountersignatureModel | None = _doc(
        "`[agreement.countersignature]`, optional: the PDF then ends with the owner's signature block, which "
        "the licensee's signed copy leaves blank; the owner signs it after approval.",
        default=None,
    )

    @pd.model_validator(mode="after")
    def _consistent(self):
        for i, clause in enumerate(self.clauses, start=1):
            if clause.number is not None and clause.number != i:
                raise ValueError(f"clause {i} has number {clause.number}: clauses are numbered in order from 1")
        seen_signers, seen_fields = set(), set()
        for signer in self.signers:
            if signer.key in seen_signers:
                raise ValueError(f"signer key {signer.key!r} is used twice")
            seen_signers.add(signer.key)
            for f in signer.fields:
                if f.key in seen_fields:
                    raise ValueError(f"field key {f.key!r} is used twice (keys are unique across signers)")
                seen_fields.add(f.key)
        problems = [
            f"{where}.translations.{tag}: {problem}"
            for where, tags in self._translated()
            for tag in tags
            if (problem := languages.binding_problem(tag, binding=self.language))
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _translated(self):
        for i, clause in enumerate(self.clauses):
            yield f"clauses[{i}]", clause.translations
        for i, signer in enumerate(self.signers):
            yield f"signers[{i}]", signer.translations
            for j, f in enumerate(signer.fields):
                yield f"signers[{i}].fields[{j}]", f.translations


class CitationModel(pd.BaseModel):
    """The paper licensees cite; agreements that ask for no citation leave it out."""

    model_config = STRICT
    text: Text = _doc("The paper licensees must cite, as a sentence.", default="")
    bibtex: Text = _doc("The same as a BibTeX entry.", default="")


class DatasetFileModel(pd.BaseModel):
    """A dataset file, format 2."""

    model_config = STRICT
    format: Literal[2] = _doc("The format of this file: `2`. (Files without `format` are read as format 1, see below.)")
    slug: Annotated[str, pd.StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=50)] = _doc(
        "Identifies the dataset; its address is `/datasets/<slug>/`. Lower-case letters, digits and hyphens."
    )
    name: Annotated[str, pd.StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = _doc(
        "Short name, e.g. `LAGPeR`."
    )
    full_name: Annotated[str, pd.StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] = _doc(
        "Full title."
    )
    reference_prefix: Annotated[str, pd.StringConstraints(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)*$", max_length=12)] = _doc(
        "Up to 12 upper-case letters, digits and hyphens, unique among datasets; references are `<PREFIX>-<year>-<number>`."
    )
    description: Required = _doc("Shown on the dataset page.")
    owner: Annotated[str, pd.StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] = _doc(
        "The organisation that owns the dataset and decides on requests."
    )
    contact_name: Annotated[str, pd.StringConstraints(strip_whitespace=True, max_length=200)] = _doc(
        "Who applicants can write to.", default=""
    )
    contact_email: Annotated[
        str, pd.StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    ] = _doc("The owner's address for questions.")
    homepage: Annotated[
        str, pd.StringConstraints(strip_whitespace=True, pattern=r"^(https?://\S+)?$", max_length=200)
    ] = _doc("The dataset's own web page.", default="")
    turnaround_days: Whole = _doc("Working days the owner promises for a decision.", default=10)
    licence_duration_days: Whole = _doc("How long an approved licence lasts; `0`: licences do not expire.", default=0)
    representative_confirmation_required: bool = _doc(
        "The representative named on each request is always emailed a link to confirm it; `true` makes "
        "approval wait for that confirmation.",
        default=False,
    )
    delivery_instructions: Required = _doc("How a licensee gets the data; shown only to holders of an active licence.")
    facts: dict[str, Required] = _doc(
        '`[facts]`: figures shown on the dataset page, `"Images" = "63,841"`, in order.', default_factory=dict
    )
    citation: CitationModel = _doc("`[citation]`: what licensees cite.", default_factory=CitationModel)
    agreement: AgreementModel = _doc("`[agreement]`: the wording.")


_MESSAGES = {
    "extra_forbidden": "is not a key of the format (a typo?)",
    "missing": "is missing",
    "string_too_short": "must not be empty",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "list_type": "must be a list (`[[...]]` tables or `[...]`)",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
}


def key_path(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problem(error) -> str:
    kind = error["type"]
    if kind == "string_pattern_mismatch":
        return f"does not have the expected form ({error['ctx']['pattern']})"
    if kind == "string_too_long":
        return f"must be at most {error['ctx']['max_length']} characters"
    if kind == "literal_error":
        return f"must be {error['ctx']['expected']}"
    if kind == "too_short":
        return "must list at least one"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("model_type", "model_attributes_type") and len(error["loc"]) > 1 and error["loc"][-2] == "translations":
        return 'must be a table of the wording in that language, e.g. { label = "…" } or { title = "…", text = "…" }'

    return _MESSAGES.get(kind, error["msg"][:1].lower() + error["msg"][1:])


def line_of(text: str, loc) -> int | None:
    """The line a key path most likely points at: found by walking headers and keys in order."""
    lines = text.splitlines()
    position, table = 0, ""
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
            seen = -1
            for i in range(position, len(lines)):
                if header.match(lines[i]):
                    seen += 1
                    if seen == part:
                        position = i
                        break
            else:
                return None
            continue
        table = f"{table}.{part}" if table else str(part)
        is_last = depth == len(loc) - 1
        # `key =`, or a dotted key's part: `translations.zh-Hans = {…}`.
        key = re.compile(rf'^\s*(?:[\w"-]+\s*\.\s*)*"?{re.escape(str(part))}"?\s*[=.]')
        header = re.compile(rf"^\s*\[{{1,2}}\s*{re.escape(table)}\s*\]{{1,2}}")
        for i in range(position, len(lines)):
            if key.match(lines[i]) or header.match(lines[i]):
                position = i
                break
        else:
            if is_last:
                return None
    return position + 1


def errors(data: dict, text: str, *, model: type[M]) -> tuple[M | None, list[tuple[str, int | None, str]]]:
    """The file validated by `model`, or every problem as (key path, line, problem)."""
    try:
        return model.model_validate(data), []
    except pd.ValidationError as error:
        found = []
        for e in error.errors(include_url=False):
            # A dict key's own problem is the key's: `translations.ja`, not `translations.ja.[key]`.
            loc = tuple(p for p in e["loc"] if p not in ("function-after", "[key]"))
            found.append((key_path(loc) or "(file)", line_of(text, loc), _problem(e)))
        return None, found


def dataset_columns(model) -> dict:
    """The Dataset columns a dataset file gives, read from its model in either format (they share these keys)."""
    return {
        "slug": model.slug,
        "name": model.name,
        "full_name": model.full_name,
        "description": model.description,
        # Kept as [label, value] pairs: PostgreSQL's jsonb would reorder a table's keys.
        "facts": [[k, v] for k, v in model.facts.items()],
        "owner": model.owner,
        "contact_name": model.contact_name,
        "contact_email": model.contact_email,
        "homepage": model.homepage,
        "citation_text": model.citation.text,
        "citation_bibtex": model.citation.bibtex,
        "delivery_instructions": model.delivery_instructions,
        "reference_prefix": model.reference_prefix,
        "turnaround_days": model.turnaround_days,
        "licence_duration_days": model.licence_duration_days or None,
        "representative_confirmation_required": model.representative_confirmation_required,
    }


def to_internal(model: DatasetFileModel) -> tuple[dict, dict]:
    """(dataset fields, agreement) in the shape the loader stores."""
    dataset = dataset_columns(model)
    a = model.agreement
    clauses = [
        {
            "number": i,
            "title": c.title,
            "text": c.text,
            "heading": c.heading,
            "translations": {
                languages.portal_language(tag): t.model_dump(exclude_defaults=True) for tag, t in c.translations.items()
            },
        }
        for i, c in enumerate(a.clauses, start=1)
    ]
    signer_fields = [
        {
            "name": f.key,
            "label": f.label,
            "type": f.type,
            "required": f.required,
            "capitals": f.type == "capitals",
            "help": f.help,
            "max_length": f.max_length or spec.FIELD_TYPES[f.type][1],
            "options": list(f.options),
            "romanised_label": f.romanised_label,
            "signer": s.key,
            # Only when set: an agreement that flags nothing keeps the fingerprint it always had.
            **({"searchable": True} if f.searchable else {}),
        }
        for s in a.signers
        for f in s.fields
    ]
    agreement = {
        "version": a.version,
        "title": a.title,
        "preamble": a.preamble,
        "clauses": clauses,
        "signer_fields": signer_fields,
        "signatory": a.signatory,
        "closing": a.closing,
        "layout": {
            "format": 2,
            "language": a.language,
            "signers": [{"key": s.key, "title": s.title} for s in a.signers],
            "before_signers": a.before_signers,
            "submission": a.submission,
            "research_purpose": a.research_purpose,
            **({"countersignature": a.countersignature.model_dump()} if a.countersignature else {}),
        },
        "licensees_must_reaccept": a.licensees_must_reaccept,
        "translations": languages.portal_wording(
            fields=[(f.key, f.translations) for s in a.signers for f in s.fields],
            signers=[(s.key, s.translations) for s in a.signers],
        ),
    }
    return dataset, agreement
