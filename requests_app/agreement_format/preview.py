"""An owner's preview of a dataset file: the apply form and the filled-in PDF, with no database.

The dataset and its agreement version are built in memory from the parsed file, never saved; the
request that fills the PDF holds sample values chosen by each field's type.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string

from .. import clock
from ..models import AgreementVersion, Dataset, LicenseRequest
from . import spec
from .loading import agreement_sha256, parse_dataset_file

_SAMPLES = {
    "text": "Sample text",
    "capitals": "SAMPLE TEXT",
    "long_text": "Sample line one\nSample line two",
    "email": "researcher@example.org",
    "phone": "+44 20 7946 0000",
    "country": "GB",
    "url": "https://example.org/",
    "orcid": "0000-0002-1825-0097",
    "checkbox": True,
}


@dataclass(frozen=True)
class Preview:
    dataset: Dataset
    version: AgreementVersion
    request: LicenseRequest
    form_html: str
    pdf: bytes


def sample_value(field: spec.Field):
    if field.type == "date":
        return clock.today().isoformat()
    if field.type == "choice":
        return field.options[0]
    value = _SAMPLES[field.type]
    if isinstance(value, str) and field.max_length:
        value = value[: field.max_length]
    return value


def sample_values(version) -> dict:
    values = {}
    for f in spec.asked_fields(version):
        values[f.name] = sample_value(f)
        if f.romanised_name:
            values[f.romanised_name] = "SAMPLE ROMANISED"
    return values


def build(dataset_fields: dict, agreement: dict) -> tuple[Dataset, AgreementVersion]:
    """Unsaved objects, as the loader would create them."""
    dataset = Dataset(**dataset_fields)
    version = AgreementVersion(
        dataset=dataset,
        label=agreement["version"],
        sha256=agreement_sha256(agreement),
        published_at=clock.now(),
        layout=agreement.get("layout", {}),
        translations=agreement.get("translations", {}),
        **{k: agreement[k] for k in ("title", "preamble", "clauses", "signer_fields", "signatory", "closing")},
    )
    return dataset, version


def render(dataset: Dataset, version: AgreementVersion) -> Preview:
    from ..applications.forms import ApplicationForm
    from ..documents.pdf import render_agreement

    values = sample_values(version)
    request = LicenseRequest(
        dataset=dataset,
        agreement_version=version,
        reference=f"{dataset.reference_prefix}-PREVIEW",
        token="preview",
        values=values,
        **{k: v for k, v in values.items() if k in spec.WELL_KNOWN and k != "signing_date"},
    )
    form = ApplicationForm(agreement=version, submitting=True, instance=request)
    form_html = render_to_string(
        "requests_app/preview_form.html",
        {"dataset": dataset, "agreement": version, "form": form},
    )
    return Preview(dataset, version, request, form_html, render_agreement(request, version))


def preview_file(path) -> Preview:
    """Check `path` (raising DatasetFileError) and render it."""
    return render(*build(*parse_dataset_file(path)))
