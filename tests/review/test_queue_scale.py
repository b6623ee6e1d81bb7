"""Bob's queue stays honest and cheap however many requests there are: search through an index,
counts that stop at a bound, pages found by position, and the same queries for 10 rows or 1,000."""

import datetime
import re
import sqlite3

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app import search
from requests_app.models import LicenseRequest
from requests_app.review.selectors import queue_cursor
from tests.review.test_review import client_for, under_review

Status = LicenseRequest.Status


def found(client, term: str, **params) -> set[str]:
    page = client.get(reverse("review:queue"), {"q": term, "status": "", **params}).content.decode()
    return {r.reference for r in LicenseRequest.objects.all() if f">{r.reference}</a>" in page}


def bulk_requests(dataset, applicants: list, n: int, *, approved=lambda i: False) -> None:
    """n rows under review (or approved, where `approved(i)`), "BULK-000000" from "ORG 0" onwards, in one INSERT.

    Only the queue's reading is measured here, and a thousand requests brought through the services
    would render a thousand agreements; the services' own paths are tested with a few rows.
    """
    start = timezone.now() - datetime.timedelta(days=1)
    LicenseRequest.objects.bulk_create(
        LicenseRequest(
            reference=f"BULK-{i:06d}",
            applicant=applicants[i % len(applicants)],
            dataset=dataset,
            agreement_version=dataset.current_agreement,
            organisation=f"ORG {i}",
            status=Status.APPROVED if approved(i) else Status.UNDER_REVIEW,
            submitted_at=start + datetime.timedelta(seconds=i),
        )
        for i in range(n)
    )


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


@pytest.fixture
def muller(lagper, alice):
    return under_review(
        lagper,
        alice,
        representative_name="Jürgen MÜLLER",
        organisation="Technische Universität München",
        unit="Lehrstuhl für Bildverarbeitung",
        email="j.mueller@tum.example",
    )


@pytest.fixture
def li(lagper, charlie):
    return under_review(
        lagper,
        charlie,
        representative_name="李娜",
        organisation="西北工业大学",
        unit="计算机学院",
        email="lina@nwpu.example",
    )


@pytest.mark.parametrize("listed", [True, False], ids=["matches listed", "too many to list"])
@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("bildverarb", "muller"),  # the unit, which the agreement's clause 2 names, is searched
        ("计算机", "li"),  # a unit in Chinese
        ("müller", "muller"),  # capitals outside ASCII fold too
        ("UNIVERSITÄT MÜN", "muller"),
        ("j.mueller@tum", "muller"),  # the representative's email
        ("nwpu.example", "li"),
        ("李", "li"),  # one character: no trigram, found by walking the queue
        ("ün", "muller"),  # two characters, outside ASCII
    ],
)
def test_bob_finds_a_request_by_any_part_of_its_unit_name_organisation_or_email(
    bob_client, muller, li, term, who, listed, monkeypatch
):
    if not listed:
        monkeypatch.setattr("requests_app.review.selectors.SEARCH_LISTED", 0)
    expected = {"muller": muller, "li": li}[who].reference
    assert found(bob_client, term) == {expected}


@pytest.mark.parametrize("listed", [True, False], ids=["matches listed", "too many to list"])
def test_bob_finds_a_request_by_its_applicants_account_email_as_it_is_now(
    bob_client, muller, li, charlie, listed, monkeypatch
):
    if not listed:
        monkeypatch.setattr("requests_app.review.selectors.SEARCH_LISTED", 0)
    assert found(bob_client, "ELSEWHERE.exam") == {li.reference}
    charlie.email = "charlie@moved.example"
    charlie.save()
    assert found(bob_client, "elsewhere.exam") == set()
    assert found(bob_client, "moved.example") == {li.reference}


def test_bob_finds_mueller_without_typing_the_accent_where_the_database_folds_accents(bob_client, muller):
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 45):
        pytest.skip(f"SQLite {sqlite3.sqlite_version}: its trigram tokenizer removes accents from 3.45 on")
    assert found(bob_client, "muller") == {muller.reference}
    assert found(bob_client, "universitat munchen") == {muller.reference}


def test_a_search_of_several_words_finds_them_together_as_typed_in_any_case(bob_client, lagper, alice, muller):
    """Found through a narrow word's requests, each tested for the whole term as the index folds it."""
    under_review(lagper, alice, organisation="Universität Wien", unit="München Lab")
    assert found(bob_client, "jürgen müller") == {muller.reference}  # stored "Jürgen MÜLLER"
    assert found(bob_client, "universität münchen") == {muller.reference}
    assert found(bob_client, "wien münchen") == set()  # two fields, not one text
    assert found(bob_client, "müller jürgen") == set()


def test_a_search_of_several_words_tries_the_next_word_when_one_is_in_too_many_requests(
    bob_client, lagper, alice, monkeypatch
):
    monkeypatch.setattr("requests_app.review.selectors.SEARCH_LISTED", 1)  # two requests are too many to list
    wanted = under_review(lagper, alice, organisation="Vision Lab Tsinghua")
    other = under_review(lagper, alice, organisation="Vision Lab Peking")
    assert found(bob_client, "lab tsinghua") == {wanted.reference}  # through "tsinghua", as "lab" is in both
    assert found(bob_client, "vision lab") == {wanted.reference, other.reference}  # each word in both


def test_a_several_word_term_is_tested_folded_as_the_index_folds_where_it_removes_accents(monkeypatch):
    monkeypatch.setattr("requests_app.search.sqlite3.sqlite_version_info", (3, 45, 0))
    assert search._fold("Technische Universität MÜNCHEN") == "technische universitat munchen"
    assert "하" not in search._fold("대학교 한국")  # a Hangul syllable stays one letter


def test_a_whole_reference_finds_that_request_only(bob_client, lagper, alice, muller):
    other = under_review(lagper, alice)
    assert found(bob_client, muller.reference.lower()) == {muller.reference}
    assert other.reference not in found(bob_client, muller.reference)


def test_the_search_follows_every_write_to_the_searched_fields(bob_client, lagper, alice, muller):
    """The index is kept by the database itself: an UPDATE that no model code sees is followed too."""
    LicenseRequest.objects.filter(pk=muller.pk).update(unit="Institut für Robotik")
    assert found(bob_client, "robotik") == {muller.reference}
    assert found(bob_client, "bildverarb") == set()


@pytest.fixture
def thousand(lagper, alice, bob, charlie):
    bulk_requests(lagper, [alice, bob, charlie], 1000)
    return LicenseRequest.objects.filter(reference__startswith="BULK-")


def status_badges(page: str) -> dict[str, str]:
    """{tab label: its count} as the queue's tabs show them."""
    tabs = {}
    for label in ("All", "Under review", "Approved", "Waiting longer than promised"):
        marker = f'{label} <span class="badge text-bg-light">'
        start = page.index(marker) + len(marker)
        tabs[label] = page[start : page.index("</span>", start)]
    return tabs


def test_counts_past_the_bound_say_so_instead_of_reading_every_request(bob_client, thousand, monkeypatch):
    monkeypatch.setattr("requests_app.review.selectors.COUNT_BOUND", 400)
    page = bob_client.get(reverse("review:queue")).content.decode()
    assert status_badges(page) == {
        "All": "400+",
        "Under review": "400+",
        "Approved": "0",
        "Waiting longer than promised": "0",
    }
    assert "More than 400 requests, oldest first" in page
    narrowed = bob_client.get(reverse("review:queue"), {"q": "org 99", "status": ""}).content.decode()
    assert status_badges(narrowed)["All"] == "11"  # ORG 99 and ORG 990 to ORG 999: exact again
    assert "11 requests, oldest first." in narrowed


def walk(client, params: dict, *, direction: str = "next") -> list[list[str]]:
    """Every page of the queue, following its Next (or, from the last page, its Previous) links."""
    pages, url = [], reverse("review:queue")
    while True:
        response = client.get(url, params)
        page = response.context["page"]
        pages.append([r.reference for r in page.rows])
        cursor = page.next if direction == "next" else page.previous
        if cursor is None:
            return pages
        params = {**params, "after" if direction == "next" else "before": cursor}
        params.pop("before" if direction == "next" else "after", None)


def test_paging_by_position_shows_every_request_once_in_order_even_when_times_tie(bob_client, lagper, alice, bob):
    # 120 requests submitted in 6 identical instants: the id breaks the ties, on every page.
    now = timezone.now()
    version = lagper.current_agreement
    LicenseRequest.objects.bulk_create(
        LicenseRequest(
            reference=f"TIE-{i:06d}",
            applicant=alice,
            dataset=lagper,
            agreement_version=version,
            status=Status.UNDER_REVIEW,
            submitted_at=now - datetime.timedelta(minutes=i % 6),
        )
        for i in range(120)
    )
    expected = [r.reference for r in LicenseRequest.objects.order_by("submitted_at", "pk")]
    forward = walk(bob_client, {})
    assert [len(p) for p in forward] == [50, 50, 20]
    assert sum(forward, []) == expected
    last_page = {"after": queue_cursor(request=LicenseRequest.objects.get(reference=forward[1][-1]))}
    backward = walk(bob_client, last_page, direction="previous")
    assert backward == forward[::-1]


def test_a_malformed_page_position_shows_the_first_page(bob_client, thousand):
    for cursor in ("x", "1.", "99999999999999999999.1", "-5.3"):
        response = bob_client.get(reverse("review:queue"), {"after": cursor, "before": cursor})
        assert response.status_code == 200
        assert response.context["page"].previous is None


@pytest.mark.parametrize("rows", [10, 1000])
def test_a_deep_page_costs_the_same_queries_as_the_first(
    bob_client, lagper, alice, bob, charlie, rows, django_assert_num_queries
):
    bulk_requests(lagper, [alice, bob, charlie], rows)
    deep = LicenseRequest.objects.order_by("submitted_at", "pk")[rows - 5]
    # session, user, the reviewer's datasets, the bounded counts, the page.
    with django_assert_num_queries(5):
        response = bob_client.get(reverse("review:queue"), {"after": queue_cursor(request=deep)})
    assert len(response.context["page"].rows) == 4


@pytest.mark.parametrize(
    ("term", "listed", "queries"),
    [("k-0000", 2000, 6), ("org 1", 2000, 6), ("or", 2000, 5), ("bulk", 5, 6)],
    ids=["listed", "several words", "short", "broad"],
)
@pytest.mark.parametrize("rows", [10, 1000])
def test_every_kind_of_search_costs_the_same_queries_for_10_or_1000_requests(
    bob_client, lagper, alice, bob, charlie, rows, term, listed, queries, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr("requests_app.review.selectors.SEARCH_LISTED", listed)
    bulk_requests(lagper, [alice, bob, charlie], rows)
    # As unsearched (5), and the index's answer (for several words, a narrow word's requests); a short
    # term has none to ask; a broad one is asked, then walked.
    with django_assert_num_queries(queries):
        response = bob_client.get(reverse("review:queue"), {"q": term, "status": ""})
    matching = sum(term.upper() in f"BULK-{i:06d}\nORG {i}" for i in range(rows))
    assert len(response.context["page"].rows) == min(50, matching)


def test_a_listed_search_gives_the_database_its_ids_as_one_parameter(bob_client, thousand):
    # An IN list of a thousand ids is planned id by id on PostgreSQL, several times the cost of finding
    # them, and costs Django and SQLite's cursor a placeholder each.
    with CaptureQueriesContext(connection) as captured:
        response = bob_client.get(reverse("review:queue"), {"q": "org 1", "status": ""})
    assert len(response.context["page"].rows) == 50  # ORG 1, 10 to 19, 100 to 199: 111 listed
    one_list = "= ANY(" if connection.vendor == "postgresql" else "IN (SELECT value FROM json_each("
    listed = [query["sql"] for query in captured if one_list in query["sql"]]
    assert len(listed) == 2  # the counts and the page
    assert not any(re.search(r"IN \(\d+, \d+", sql) for sql in listed)


def test_a_search_tested_row_by_row_counts_a_page_of_matches_and_says_more(bob_client, thousand):
    # "or" is too short for the index: every row it reaches is tested, so the counts stop after a page.
    page = bob_client.get(reverse("review:queue"), {"q": "or", "status": ""}).content.decode()
    assert status_badges(page)["All"] == "50+"
    assert "More than 50 requests, oldest first" in page


def test_a_search_tested_row_by_row_counts_each_tab_from_the_first_page_of_matches(bob_client, lagper, alice):
    # ORG 7, 17, ... 997 approved: 5 of the first 50 matches in the queue's order, 100 in all.
    bulk_requests(lagper, [alice], 1000, approved=lambda i: i % 10 == 7)
    page = bob_client.get(reverse("review:queue"), {"q": "or", "status": ""}).content.decode()
    assert status_badges(page) == {
        "All": "50+",
        "Under review": "45+",
        "Approved": "5+",
        "Waiting longer than promised": "0+",
    }
    approved = bob_client.get(reverse("review:queue"), {"q": "or", "status": Status.APPROVED}).content.decode()
    assert status_badges(approved)["Approved"] == "50+"  # the tab shown is walked on its own, beside its page
    assert "More than 50 requests, oldest first" in approved


def test_a_search_tested_row_by_row_to_its_end_counts_exactly(bob_client, lagper, alice):
    bulk_requests(lagper, [alice], 30, approved=lambda i: i % 10 == 7)
    page = bob_client.get(reverse("review:queue"), {"q": "or", "status": ""}).content.decode()
    assert status_badges(page) == {
        "All": "30",
        "Under review": "27",
        "Approved": "3",
        "Waiting longer than promised": "0",
    }
