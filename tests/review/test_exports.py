"""Bob exports the queue's requests and their audit trail: every file says whether it is whole."""

import csv

import pytest
from django.db import OperationalError
from django.urls import reverse

from requests_app.review import csv_export
from requests_app.review.selectors import audit_event_rows
from tests import journeys


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def three_requests(alice, lagper):
    """Under review, three events each: started, submitted, signed copy uploaded."""
    return [journeys.under_review(applicant=alice, dataset=lagper) for _ in range(3)]


def lines_of(response) -> list[str]:
    return b"".join(response.streaming_content).decode().splitlines()


@pytest.fixture
def small_chunks(monkeypatch):
    """Two rows per write, so even a small export goes out in several pieces as a big one does."""
    monkeypatch.setattr(csv_export, "CHUNK_ROWS", 2)


@pytest.mark.usefixtures("small_chunks")
def test_a_complete_audit_export_has_every_event_and_ends_with_its_count(bob_client, three_requests):
    lines = lines_of(bob_client.get(reverse("review:export_events")))
    assert len(lines) == 1 + 9 + 1
    assert lines[0] == "reference,at,actor,from_status,to_status,note,ip,user_agent"
    assert lines[-1] == "# complete: 9 rows"


@pytest.mark.usefixtures("small_chunks")
def test_a_complete_requests_export_ends_with_its_count(bob_client, three_requests):
    lines = lines_of(bob_client.get(reverse("review:export_requests")))
    assert len(lines) == 1 + 3 + 1
    assert [line.split(",")[0] for line in lines[1:-1]] == [r.reference for r in three_requests]
    assert lines[-1] == "# complete: 3 rows"


def test_an_empty_export_says_it_is_complete_with_no_rows(bob_client, lagper):
    assert lines_of(bob_client.get(reverse("review:export_events"))) == [
        "reference,at,actor,from_status,to_status,note,ip,user_agent",
        "# complete: 0 rows",
    ]


@pytest.mark.usefixtures("small_chunks")
def test_an_export_failing_midway_says_so_in_its_last_line(bob_client, three_requests, monkeypatch):
    real = audit_event_rows

    def connection_lost_after_five_rows(*, requests):
        rows = real(requests=requests)
        for _ in range(5):
            yield next(rows)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("requests_app.review.views.audit_event_rows", connection_lost_after_five_rows)
    received = []
    with pytest.raises(OperationalError):  # raised again: the server breaks off the transfer too
        for chunk in bob_client.get(reverse("review:export_events")).streaming_content:
            received.append(chunk)
    lines = b"".join(received).decode().splitlines()
    assert len(lines) == 1 + 5 + 1
    assert lines[-1] == (
        "# INCOMPLETE: the export failed after 5 rows; this file is not the whole export. Export it again."
    )
    assert not any(line.startswith("# complete") for line in lines)


def test_every_cell_starting_like_a_formula_is_defused_wherever_it_sits_in_a_chunk():
    import csv
    import io

    rows = [
        ["LAGPER-2026-000001", "2026-03-01 10:00:00+00:00", None, 2026],
        ["plain", "=1+1", 'say "hi"', "\tTAB"],
        ["multi\r\n=line", "-1", "+CVPR", "@SUM(A1)"],
        ["a, -b", "", None, "x"],
    ]
    text = "".join(csv_export.csv_lines(["a", "b", "c", "d"], rows))
    *parsed, footer = csv.reader(io.StringIO(text, newline=""))
    assert parsed == [
        ["a", "b", "c", "d"],
        ["LAGPER-2026-000001", "2026-03-01 10:00:00+00:00", "", "2026"],
        ["plain", "'=1+1", 'say "hi"', "'\tTAB"],
        ["multi\r\n=line", "'-1", "'+CVPR", "'@SUM(A1)"],
        ["a, -b", "", "", "x"],
    ]
    assert footer == ["# complete: 4 rows"]


@pytest.mark.usefixtures("small_chunks")
def test_a_formula_in_the_first_cell_of_a_chunk_is_defused_too():
    text = "".join(csv_export.csv_lines(["a", "b"], [["x", "y"], ["z", "w"], ["=1+1", "y"]]))
    assert text.splitlines()[3] == "'=1+1,y"


def test_the_fields_returned_for_correction_are_one_space_separated_cell(bob_client, bob, alice, lagper):
    journeys.returned(journeys.under_review(applicant=alice, dataset=lagper), reviewer=bob, fields=("unit", "address"))
    journeys.under_review(applicant=alice, dataset=lagper)
    rows = list(csv.DictReader(lines_of(bob_client.get(reverse("review:export_requests"), {"status": ""}))[:-1]))
    assert sorted(row["returned_fields"] for row in rows) == ["", "address unit"]  # in the agreement's order
