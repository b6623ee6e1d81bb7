"""The one sample request the PDF benchmarks issue and check: LAGPeR's agreement, unsaved models only.

Imported after django.setup() (each benchmark sets Django up first).
"""

import datetime
from pathlib import Path

from requests_app.agreement_format.loading import parse_dataset_file
from requests_app.models import AgreementVersion, Dataset, LicenseRequest

LAGPER_TOML = Path(__file__).resolve().parents[2] / "datasets" / "lagper.toml"


def lagper_request() -> tuple[LicenseRequest, AgreementVersion]:
    """A request for LAGPeR filled in as a dean would, under the agreement of datasets/lagper.toml."""
    fields, agreement = parse_dataset_file(LAGPER_TOML)
    dataset = Dataset(**fields)
    version = AgreementVersion(
        dataset=dataset,
        label=agreement["version"],
        sha256="0" * 64,
        **{k: agreement[k] for k in ("title", "preamble", "clauses", "signer_fields", "signatory", "closing")},
    )
    request = LicenseRequest(
        dataset=dataset,
        agreement_version=version,
        reference="LAGPER-2026-000123",
        representative_name="PROF. LI WEI",
        representative_title="Dean of the School of Computing",
        organisation="EXAMPLE UNIVERSITY",
        unit="Vision Lab, School of Computing",
        address="1 UNIVERSITY ROAD\nSPRINGFIELD",
        email="dean@uni.example",
        signing_date=datetime.date(2026, 11, 25),
        research_purpose="Benchmarking aerial-ground re-identification.",
    )
    return request, version
