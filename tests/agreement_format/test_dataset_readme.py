"""datasets/README.md says what the loader checks: its key tables are the schema's, and its example loads."""

import re

from requests_app.agreement_format import format1, readme
from requests_app.agreement_format.loading import load_dataset_file
from requests_app.applications.forms import ApplicationForm


def test_the_readme_key_tables_are_generated_from_the_schema():
    assert readme.current() == readme.section(), (
        "datasets/README.md differs from the schema: run "
        ".venv/bin/python -m requests_app.agreement_format.readme --write"
    )


def test_every_field_type_and_key_of_the_schema_is_in_the_readme():
    text = readme.README.read_text(encoding="utf-8")
    for _, model in readme.TABLES:
        for key in model.model_fields:
            assert f"| `{key}` |" in text
    for kind in readme.spec.FIELD_TYPES:
        assert f"| `{kind}` |" in text


def test_the_readmes_minimal_file_loads_and_makes_a_form(db, tmp_path):
    text = readme.README.read_text(encoding="utf-8")
    example = re.search(r"## A minimal file\n\n```toml\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    version = load_dataset_file(path).agreement_version
    form = ApplicationForm(agreement=version, submitting=True)
    assert list(form.fields) == ["representative_name", "email", "clause_1"]


def test_the_readmes_format_1_tables_list_exactly_the_keys_format_1_accepts():
    text = readme.README.read_text(encoding="utf-8")
    start = text.index("## Format 1")
    format_1 = text[start : text.index("## A minimal file", start)]
    tables = {
        heading.split(" (")[0]: set(re.findall(r"^\| `(\w+)` \|", body, re.M))
        for heading, body in re.findall(r"^#+ ([^\n]+)\n(.*?)(?=^#|\Z)", format_1, re.M | re.S)
    }
    nested = {"facts", "citation", "canned_reasons", "agreement", "clauses", "signer_fields"}
    assert {heading: keys for heading, keys in tables.items() if keys} == {
        heading: set(model.model_fields) - nested
        for heading, model in {
            "Top level": format1.DatasetFile,
            "`[citation]`": format1.Citation,
            "`[agreement]`": format1.Agreement,
            "`[[agreement.clauses]]`": format1.Clause,
            "`[[agreement.signer_fields]]`": format1.SignerField,
            "`[[canned_reasons]]`": format1.CannedReason,
        }.items()
    }
