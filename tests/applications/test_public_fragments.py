"""The dataset list and a dataset's page are cached in parts (requests_app/fragments.py): a changed
dataset file shows at once, each language has its own copy, and no one's own data is in a copy."""

import pytest
from django.urls import reverse

from requests_app import fragments
from requests_app.agreement_format.loading import load_dataset_file
from tests.paths import LAGPER_TOML

LIST = reverse("requests_app:dataset_list")
PAGE = reverse("requests_app:dataset_detail", args=["lagper"])
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture
def lagper_file(db, tmp_path):
    """A copy of datasets/lagper.toml the test may change, loaded."""
    copy = tmp_path / "lagper.toml"
    copy.write_text(LAGPER_TOML.read_text(encoding="utf-8"), encoding="utf-8")
    load_dataset_file(copy)
    return copy


def _reload_with(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    load_dataset_file(path)


def test_a_changed_dataset_file_shows_at_once_on_both_pages(client, lagper_file):
    assert "Large Aerial-Ground Person Re-identification Dataset" in client.get(LIST).content.decode()
    assert "submitted to Northwestern Polytechnical University in writing" in client.get(PAGE).content.decode()

    _reload_with(lagper_file, 'full_name = "Large Aerial-Ground', 'full_name = "Renamed Aerial-Ground')
    _reload_with(lagper_file, "University in writing.", "University in writing, by email.")

    listing, page = client.get(LIST).content.decode(), client.get(PAGE).content.decode()
    assert "Renamed Aerial-Ground Person Re-identification Dataset" in listing
    assert "Large Aerial-Ground" not in listing
    assert "Renamed Aerial-Ground Person Re-identification Dataset" in page
    assert "University in writing, by email." in page
    assert "University in writing.<" not in page


def test_each_language_has_its_own_copy(client, lagper_file):
    english_list, english_page = client.get(LIST).content.decode(), client.get(PAGE).content.decode()
    chinese_list, chinese_page = client.get(LIST, **ZH).content.decode(), client.get(PAGE, **ZH).content.decode()

    assert "Owner: Northwestern Polytechnical University" in english_list
    assert "Owner: Northwestern" not in chinese_list
    assert "The terms" in english_page
    assert "条款" in chinese_page and "The terms" not in chinese_page
    # And back: the English copy was not replaced by the Chinese one.
    assert "Owner: Northwestern Polytechnical University" in client.get(LIST).content.decode()
    assert "The terms" in client.get(PAGE).content.decode()


def test_a_copy_holds_no_one_s_own_data(client, alice, lagper_file):
    client.force_login(alice)
    signed_in = client.get(PAGE).content.decode()
    assert "alice@uni.example" in signed_in  # the navbar, outside the cached part
    client.logout()

    anonymous = client.get(PAGE).content.decode()
    assert "alice@uni.example" not in anonymous
    assert "Sign in" in anonymous


def test_a_cached_page_reads_only_the_rows_its_key_is_made_of(client, lagper_file, django_assert_num_queries):
    client.get(LIST), client.get(PAGE)
    with django_assert_num_queries(1):  # the datasets
        client.get(LIST)
    with django_assert_num_queries(1):  # the dataset with its current agreement (publications are not shown)
        client.get(PAGE)


@pytest.fixture
def release_folder(tmp_path, settings):
    """The portal's templates, as far as fragments know, are one file the test may change between two releases."""
    folder = tmp_path / "templates"
    folder.mkdir()
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [folder]}]
    fragments.release_digest.cache_clear()
    yield folder
    fragments.release_digest.cache_clear()


def test_a_new_release_does_not_serve_the_last_ones_copies(release_folder):
    """A deploy meets a cache that outlived it (Redis): its templates and catalogues are part of the key."""
    (release_folder / "dataset_detail.html").write_text("<h1>{{ dataset.name }}</h1>", encoding="utf-8")
    last_release = fragments.fragment_version(None)
    (release_folder / "dataset_detail.html").write_text("<h1>{{ dataset.full_name }}</h1>", encoding="utf-8")
    fragments.release_digest.cache_clear()  # the new release's processes start
    assert fragments.fragment_version(None) != last_release
