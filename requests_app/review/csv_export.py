"""Streamed CSV downloads that a spreadsheet opens safely and that say whether they are whole.

The last line of every export is a footer: `# complete: N rows` when every row was written. When
reading the rows fails midway, the last line says so instead (`# INCOMPLETE: ...`) and the error is
raised again, so the server also breaks off the transfer and the browser marks the download failed.
A file that ends with neither was cut off in transit (say, a worker killed mid-stream): incomplete too.
"""

import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows per write to the client: one write per row made the server, not the database, the bottleneck.
CHUNK_ROWS = 1000
COMPLETE = "# complete: {rows} rows"
INCOMPLETE = "# INCOMPLETE: the export failed after {rows} rows; this file is not the whole export. Export it again."


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _defused(row) -> list:
    return [csv_cell(value) if value.__class__ is str else value for value in row]


# A cell (after a line break or a comma) starting with a formula's first character; a cell with a
# carriage return is always quoted, so an unquoted one ends the line. No match in a chunk (searched
# from a line break, so its first cell counts too): no cell in it needs defusing. The pattern opens
# with a set of characters, not `^`, so the search skips ahead to the next comma or line break.
_CELL_LIKE_FORMULA = re.compile(r'[\n,](?:"[=+\-@\t\r]|[=+\-@\t])')


def _chunk(rows: list) -> str:
    """`rows` as CSV lines, every cell that starts like a formula defused (csv_cell).

    Written whole first, by the csv module alone; only a chunk where some cell may start like a
    formula is written again cell by cell. Numbers, dates and None never start one.
    """
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    if _CELL_LIKE_FORMULA.search("\n" + buffer.getvalue()) is None:
        return buffer.getvalue()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_defused(row) for row in rows)
    return buffer.getvalue()


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """`header`, then `rows` in chunks of CHUNK_ROWS lines, then the footer (see the module)."""
    yield _chunk([header])
    written, pending = 0, []
    try:
        for row in rows:
            pending.append(row)
            if len(pending) == CHUNK_ROWS:
                yield _chunk(pending)
                written, pending = written + len(pending), []
    except Exception:
        logger.exception("CSV export failed after %d rows", written + len(pending))
        yield _chunk(pending) + INCOMPLETE.format(rows=written + len(pending)) + "\r\n"
        raise
    yield _chunk(pending) + COMPLETE.format(rows=written + len(pending)) + "\r\n"


def stream_csv(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """Stream `rows` under `header`, so 100,000 rows never sit in memory; the footer says it is whole."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
