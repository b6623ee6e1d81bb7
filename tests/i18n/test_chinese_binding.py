"""An owner whose agreement binds in Chinese: the file says `language = "zh-Hans"` and gives each clause's
English as a courtesy translation. Alice, who reads English, sees the binding Chinese, named as such, and
the English beside it for reading only; Mei, in Chinese, sees the binding text alone; the PDF prints the
Chinese clause and then the English, marked in both languages as a translation of the Chinese.
"""

import re

import pytest
from django.urls import reverse

from requests_app.agreement_format.loading import load_dataset_file
from requests_app.models import IssuedAgreement
from tests.agreement_format.test_dataset_format import SOURCE, filled, pdf_words

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def chinese_binding(db, tmp_path):
    """tests/data/two_signers.toml bound in Chinese: clause 2 in Chinese with its English translation."""
    source = re.sub(r"\[agreement\.signers\.fields\.translations\.zh-Hans\]\n(?:.+\n)+", "", SOURCE)
    source = re.sub(r"^translations\.zh-Hans = .*\n", "", source, flags=re.MULTILINE)
    source = source.replace('title = "Release Agreement"\n', 'title = "Release Agreement"\nlanguage = "zh-Hans"\n')
    source = source.replace(
        'heading = "Publication"\ntitle = "Citation"\ntext = "Papers cite the dataset."\n',
        'heading = "发表"\ntitle = "引用"\ntext = "论文须引用数据集。"\n'
        'translations.en = { heading = "Publication", title = "Citation", text = "Papers cite the dataset." }\n',
    )
    assert "zh-Hans = " not in source and "translations.en" in source
    path = tmp_path / "chinese-binding.toml"
    path.write_text(source, encoding="utf-8")
    return load_dataset_file(path).agreement_version


def test_alice_reads_the_binding_chinese_clause_and_its_english_courtesy_translation(client, chinese_binding):
    page = client.get(reverse("requests_app:dataset_detail", args=["two-signers"]), **ENGLISH).content.decode()

    binding = page.index("论文须引用数据集。")
    assert binding < page.index("Courtesy translation") < page.index("Papers cite the dataset.")
    assert page.count("Courtesy translation") == 1  # clause 1 has no translation


def test_mei_reads_the_binding_chinese_clause_without_a_translation(client, chinese_binding):
    page = client.get(reverse("requests_app:dataset_detail", args=["two-signers"]), **CHINESE).content.decode()

    assert "论文须引用数据集。" in page
    assert "Papers cite the dataset." not in page and "参考译文" not in page


def test_the_pdf_prints_the_chinese_clause_then_the_english_marked_as_a_translation_of_it(
    alice_client, chinese_binding
):
    response = alice_client.post(reverse("requests_app:apply", args=["two-signers"]), filled(chinese_binding))
    assert response.status_code == 302

    words = pdf_words(bytes(IssuedAgreement.objects.get().pdf))
    in_order = [
        "2. 引用: 论文须引用数据集。",
        "Courtesy translation (English) — the Simplified Chinese text above binds.",
        "Publication",
        "2. Citation: Papers cite the dataset.",
        "By signing below, the parties agree to the terms above.",
    ]
    positions = [words.find(text) for text in in_order]
    assert -1 not in positions, dict(zip(in_order, positions, strict=True))
    assert positions == sorted(positions)
