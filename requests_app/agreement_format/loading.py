"""Datasets and their agreements are data: this module reads datasets/<slug>.toml into the database.

The format is documented in datasets/README.md. A file is validated whole before anything is
written, so a malformed file changes nothing.
"""

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import clock
from ..models import HF_REPO_ID, AgreementVersion, Dataset
from . import languages
from .spec import WELL_KNOWN

# The request fields an agreement may ask the signer for.
SIGNER_FIELD_NAMES = tuple(WELL_KNOWN)

# Those that may also be asked in Latin letters beside the original (`romanised = true`).
ROMANISABLE_FIELDS = ("representative_name", "organisation")

_STR = "a non-empty string"


class DatasetFileError(ValueError):
    """A dataset file that cannot be loaded; the message names the file, the key and the problem."""

    def __init__(self, path, key, problem):
        self.path, self.key, self.problem = path, key, problem
        super().__init__(f"{path}: {key}: {problem}")


class DatasetFileErrors(DatasetFileError):
    """Every problem found in a file at once: [(key, line or None, problem)], one line of message each."""

    def __init__(self, path, problems):
        self.path, self.problems = path, problems
        self.key, self.problem = problems[0][0], problems[0][2]
        ValueError.__init__(
            self,
            "\n".join(
                f"{path}: {key}: {problem}" + (f" (line {line})" if line else "") for key, line, problem in problems
            ),
        )


@dataclass(frozen=True)
class LoadResult:
    dataset: Dataset
    agreement_version: AgreementVersion
    dataset_changed: bool
    version_created: bool
    # The current version's labels in other languages were changed in place (the wording was not).
    translations_changed: bool = False


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Everything a signer reads; an agreement version's sha256 is computed over these.
CANONICAL_KEYS = ("title", "preamble", "clauses", "signer_fields", "signatory", "closing")


def canonical_agreement_text(agreement: dict) -> str:
    """The text an agreement version's sha256 is computed over.

    A format 2 agreement adds its layout (signers, texts around them); a format 1 one has none,
    so its fingerprint is what it always was.
    """
    canonical = {k: agreement[k] for k in CANONICAL_KEYS}
    if agreement.get("layout"):
        canonical["layout"] = agreement["layout"]
    return json.dumps(canonical, sort_keys=True, ensure_ascii=False)


def agreement_sha256(agreement: dict) -> str:
    """An agreement version's fingerprint: the sha256 of its canonical text."""
    return sha256_text(canonical_agreement_text(agreement))


class _Reader:
    def __init__(self, path, data):
        self.path, self.data = path, data

    def fail(self, key, problem):
        raise DatasetFileError(self.path, key, problem)

    def get(self, table, key, kind, required=True, default=None, prefix=""):
        name = f"{prefix}{key}"
        if key not in table:
            if required:
                self.fail(name, "is missing")
            return default
        value = table[key]
        if kind is str:
            if not isinstance(value, str) or (required and not value.strip()):
                self.fail(name, f"must be {_STR}")
            return value.strip()
        if kind is int:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.fail(name, "must be a whole number, 0 or more")
            return value
        if kind is bool:
            if not isinstance(value, bool):
                self.fail(name, "must be true or false")
            return value
        if not isinstance(value, kind):
            self.fail(name, f"must be a {'table' if kind is dict else 'list'}")
        return value


def parse_dataset_file(path: Path) -> tuple[dict, dict]:
    """Return (dataset fields, agreement) from a TOML file, or raise DatasetFileError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise DatasetFileError(path, "(file)", "does not exist") from None
    except UnicodeDecodeError:
        raise DatasetFileError(path, "(file)", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise DatasetFileError(path, "(file)", f"is not valid TOML: {exc}") from None

    if "format" in data:
        return _parse_format_2(path, data, text)
    r = _Reader(path, data)
    slug = r.get(data, "slug", str)
    if not slug.replace("-", "").isalnum() or not slug.isascii() or slug != slug.lower():
        r.fail("slug", "must use lower-case letters, digits and hyphens only")
    prefix = r.get(data, "reference_prefix", str)
    if not (prefix.isascii() and prefix.isalnum() and prefix.isupper() and len(prefix) <= 12):
        r.fail("reference_prefix", "must be up to 12 upper-case letters or digits")
    citation = r.get(data, "citation", dict)
    facts = r.get(data, "facts", dict, required=False, default={})
    for fact, value in facts.items():
        if not isinstance(value, str):
            r.fail(f"facts.{fact}", f"must be {_STR}")
    # Kept as [label, value] pairs: PostgreSQL's jsonb would reorder a table's keys.
    facts = [[fact, value] for fact, value in facts.items()]
    duration = r.get(data, "licence_duration_days", int, required=False)
    dataset = {
        "slug": slug,
        "name": r.get(data, "name", str),
        "full_name": r.get(data, "full_name", str),
        "description": r.get(data, "description", str),
        "facts": facts,
        "owner": r.get(data, "owner", str),
        "contact_name": r.get(data, "contact_name", str),
        "contact_email": r.get(data, "contact_email", str),
        "homepage": r.get(data, "homepage", str, required=False, default=""),
        "citation_text": r.get(citation, "text", str, prefix="citation."),
        "citation_bibtex": r.get(citation, "bibtex", str, prefix="citation."),
        "delivery_instructions": r.get(data, "delivery_instructions", str),
        "reference_prefix": prefix,
        "turnaround_days": r.get(data, "turnaround_days", int, required=False, default=10),
        "licence_duration_days": duration or None,
        "hf_repo": r.get(data, "hf_repo", str, required=False, default=""),
        "representative_confirmation_required": r.get(
            data, "representative_confirmation_required", bool, required=False, default=False
        ),
    }
    if dataset["hf_repo"] and not re.fullmatch(HF_REPO_ID, dataset["hf_repo"], re.ASCII):
        r.fail("hf_repo", 'must be a Hugging Face repository id, "owner/name"')
    if "canned_reasons" in data:  # absent: whatever the admin set stays
        dataset["canned_reasons"] = _canned_reasons(r, data)
    if "@" not in dataset["contact_email"]:
        r.fail("contact_email", "must be an email address")

    a = r.get(data, "agreement", dict)
    clauses = []
    for i, clause in enumerate(r.get(a, "clauses", list, prefix="agreement.")):
        where = f"agreement.clauses[{i}]."
        if not isinstance(clause, dict):
            r.fail(where[:-1], "must be a table")
        number = r.get(clause, "number", int, prefix=where)
        if number != i + 1:
            r.fail(f"{where}number", f"must be {i + 1}: clauses are numbered in order from 1")
        clauses.append(
            {
                "number": number,
                "title": r.get(clause, "title", str, prefix=where),
                "text": r.get(clause, "text", str, prefix=where),
            }
        )
    if not clauses:
        r.fail("agreement.clauses", "must list at least one clause")
    signer_fields, label_translations = [], {}
    for i, field in enumerate(r.get(a, "signer_fields", list, prefix="agreement.")):
        where = f"agreement.signer_fields[{i}]."
        if not isinstance(field, dict):
            r.fail(where[:-1], "must be a table")
        name = r.get(field, "name", str, prefix=where)
        if name not in SIGNER_FIELD_NAMES:
            r.fail(f"{where}name", f"must be one of {', '.join(SIGNER_FIELD_NAMES)}")
        if any(f["name"] == name for f in signer_fields):
            r.fail(f"{where}name", f"{name!r} is listed twice")
        signer_fields.append(
            {
                "name": name,
                "label": r.get(field, "label", str, prefix=where),
                "required": r.get(field, "required", bool, required=False, default=True, prefix=where),
                "capitals": r.get(field, "capitals", bool, required=False, default=False, prefix=where),
            }
        )
        # Kept out of the spec when false, so that an agreement which never asks for it keeps its sha256.
        if r.get(field, "romanised", bool, required=False, default=False, prefix=where):
            if name not in ROMANISABLE_FIELDS:
                r.fail(f"{where}romanised", f"is possible only for {', '.join(ROMANISABLE_FIELDS)}")
            signer_fields[-1]["romanised"] = True
        label_translations[name] = _label_translations(r, field, where)
    version = r.get(a, "version", str, prefix="agreement.")
    if len(version) > 40:
        # A changed text under an unchanged version gets "-<8 hex digits>" appended; that must still fit.
        r.fail("agreement.version", "must be at most 40 characters")
    agreement = {
        "version": version,
        "title": r.get(a, "title", str, prefix="agreement."),
        "preamble": r.get(a, "preamble", str, required=False, default="", prefix="agreement."),
        "clauses": clauses,
        "signer_fields": signer_fields,
        "signatory": r.get(a, "signatory", str, prefix="agreement."),
        "closing": r.get(a, "closing", str, required=False, default="", prefix="agreement."),
        # The form's labels in other languages: the portal's wording, outside the fingerprint.
        "translations": languages.portal_wording(fields=label_translations.items(), signers=()),
    }
    _check_model_fields(r, Dataset, dataset, {"citation_text": "citation.text", "citation_bibtex": "citation.bibtex"})
    version_fields = {("label" if k == "version" else k): v for k, v in agreement.items()}
    _check_model_fields(
        r,
        AgreementVersion,
        version_fields,
        {name: f"agreement.{'version' if name == 'label' else name}" for name in version_fields},
    )
    return dataset, agreement


def _parse_format_2(path, data: dict, text: str) -> tuple[dict, dict]:
    """A format 2 file (agreement_format/schema.py), every problem reported at once."""
    from . import schema

    model, problems = schema.errors(data, text)
    if problems:
        raise DatasetFileErrors(path, problems)
    dataset, agreement = schema.to_internal(model)
    return dataset, agreement


def _label_translations(r: _Reader, field: dict, where: str) -> dict:
    """A format 1 field's `translations`: { "zh-Hans" = { label = "…" } }, the label in other languages."""
    translations = r.get(field, "translations", dict, required=False, default={}, prefix=where)
    out = {}
    for tag, translated in translations.items():
        key = f"{where}translations.{tag}"
        if languages.portal_language(tag) is None:
            r.fail(key, f"{tag!r} is not a language the portal is offered in ({languages.offered_tags()})")
        if problem := languages.binding_problem(tag, binding="en"):
            r.fail(key, problem)
        if not isinstance(translated, dict):
            r.fail(key, 'must be a table, e.g. { label = "…" }')
        if unknown := sorted(set(translated) - {"label"}):
            r.fail(f"{key}.{unknown[0]}", "is not a key of the format (a typo?): format 1 translates `label` only")
        out[tag] = {"label": r.get(translated, "label", str, prefix=f"{key}.")}
    return out


def _canned_reasons(r: _Reader, data: dict) -> list[dict]:
    """[[canned_reasons]]: use = "return" or "reject", label, text; the reviewer edits one before it is sent."""
    reasons = []
    for i, reason in enumerate(r.get(data, "canned_reasons", list)):
        where = f"canned_reasons[{i}]."
        if not isinstance(reason, dict):
            r.fail(where[:-1], "must be a table")
        use = r.get(reason, "use", str, prefix=where)
        if use not in ("return", "reject"):
            r.fail(f"{where}use", 'must be "return" or "reject"')
        reasons.append(
            {
                "use": use,
                "label": r.get(reason, "label", str, prefix=where),
                "text": r.get(reason, "text", str, prefix=where),
            }
        )
    return reasons


def _check_model_fields(reader: _Reader, model, values: dict, keys: dict) -> None:
    """Apply the model's own field checks (lengths, email, URL), naming the file's key on failure.

    Without this a too-long name would pass here and fail in the database, as a traceback on
    PostgreSQL and silently on SQLite.
    """
    excluded = [f.name for f in model._meta.fields if f.name not in values]
    try:
        model(**values).clean_fields(exclude=excluded)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        reader.fail(keys.get(name, name), messages[0])


@transaction.atomic
def load_dataset_file(path: Path, *, licensees_must_reaccept: bool | None = None) -> LoadResult:
    """Create or update a dataset from its file. Idempotent; never edits a published agreement.

    A new wording published with `licensees_must_reaccept` (the argument, else the file's key)
    asks every active licensee of the dataset to accept what changed.
    """
    fields, agreement = parse_dataset_file(path)
    prefix_owner = (
        Dataset.objects.filter(reference_prefix=fields["reference_prefix"]).exclude(slug=fields["slug"]).first()
    )
    if prefix_owner is not None:
        raise DatasetFileError(path, "reference_prefix", f"is already used by dataset {prefix_owner.slug!r}")
    dataset = Dataset.objects.select_for_update().filter(slug=fields["slug"]).first()
    dataset_changed = dataset is None or any(getattr(dataset, k) != v for k, v in fields.items())
    if dataset is None:
        dataset = Dataset(**fields)
    for key, value in fields.items():
        setattr(dataset, key, value)
    if dataset_changed:
        dataset.save()

    digest = agreement_sha256(agreement)
    version = dataset.agreement_versions.filter(sha256=digest).first()
    current = dataset.current_agreement
    if version is not None and version != current:
        # The newest version is the one applicants get; an older one silently "matching" would
        # leave the file saying one thing and the portal showing another. The transaction undoes
        # any dataset change made above.
        raise DatasetFileError(
            path,
            "agreement",
            f"is the wording of version {version.label}, which version {current.label} replaced; "
            "an earlier wording cannot become current again, so change the text to publish it anew",
        )
    version_created = version is None
    translations = agreement.get("translations", {})
    translations_changed = not version_created and version.translations != translations
    if translations_changed:
        AgreementVersion.objects.filter(pk=version.pk).update(translations=translations)
        version.translations = translations
    if version_created:
        label = agreement["version"]
        if dataset.agreement_versions.filter(label=label).exists():
            # The owner changed the words but not the version: keep both, never rewrite the old one.
            label = f"{label}-{digest[:8]}"
        version = AgreementVersion.objects.create(
            dataset=dataset,
            label=label,
            sha256=digest,
            published_at=clock.now(),
            layout=agreement.get("layout", {}),
            translations=translations,
            **{k: agreement[k] for k in CANONICAL_KEYS},
        )
    if licensees_must_reaccept is None:
        licensees_must_reaccept = agreement.get("licensees_must_reaccept", False)
    if version_created and licensees_must_reaccept:
        from .reacceptance import reacceptance_require

        reacceptance_require(version=version)
        version.reacceptance_required = True
    return LoadResult(dataset, version, dataset_changed, version_created, translations_changed)
