"""datasets/README.md says what the loader checks: its key tables are the schema's, and its example loads."""

import re

from requests_app.agreement_format import readme
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
