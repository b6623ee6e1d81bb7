"""Datasets and their agreements are data: this module reads datasets/<slug>.toml into the database.

The format is documented in datasets/README.md. A file is validated whole before anything is
written, so a malformed file changes nothing.
"""

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import clock
from ..models import AgreementVersion, Dataset
from . import format1, schema


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
        model, problems = schema.errors(data, text, model=schema.DatasetFileModel)
        if problems:
            raise DatasetFileErrors(path, problems)
        return schema.to_internal(model)
    model_1, problems = format1.errors(data, text)
    if problems:
        raise DatasetFileErrors(path, problems)
    dataset, agreement = format1.to_internal(model_1)
    # The stored lengths, email and URL checks are the models' own.
    _check_model_fields(
        path, Dataset, dataset, {"citation_text": "citation.text", "citation_bibtex": "citation.bibtex"}
    )
    version_fields = {("label" if k == "version" else k): v for k, v in agreement.items()}
    _check_model_fields(
        path,
        AgreementVersion,
        version_fields,
        {name: f"agreement.{'version' if name == 'label' else name}" for name in version_fields},
    )
    return dataset, agreement


def _check_model_fields(path, model, values: dict, keys: dict) -> None:
    """Apply the model's own field checks (lengths, email, URL), naming the file's key on failure.

    Without this a too-long name would pass here and fail in the database, as a traceback on
    PostgreSQL and silently on SQLite.
    """
    excluded = [f.name for f in model._meta.fields if f.name not in values]
    try:
        model(**values).clean_fields(exclude=excluded)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise DatasetFileError(path, keys.get(name, name), messages[0]) from None


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
