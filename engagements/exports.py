"""The one way a file for a spreadsheet leaves Waypoint: CSV or XLSX, every cell neutralised
against formula injection (OWASP "CSV Injection").

The rule: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
apostrophe, so a spreadsheet shows it as text instead of running it — except a plain number
such as `+447700900123` or `-12.50`, which no spreadsheet reads as a formula and which a CRM's
importer must receive intact.

Django-free on purpose: the data-migration engine (launch.migration), which runs without
Django, writes its files through it too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")

Row = Iterable[object]


def safe_cell(value: object) -> str:
    """The cell as text, with an apostrophe in front if a spreadsheet would read it as a
    formula. `None` is an empty cell."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """A csv writer that neutralises every cell; lines end in \\r\\n (RFC 4180)."""

    def __init__(self, fileobj: _Writable) -> None:
        self._writer = csv.writer(fileobj, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    def writerow(self, values: Row) -> None:
        self._writer.writerow([safe_cell(value) for value in values])

    def writerows(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fileobj: _Writable) -> SafeCsvWriter:
    """A writer on a text file opened with newline="" (the writer ends lines itself)."""
    return SafeCsvWriter(fileobj)


def csv_text(rows: Iterable[Row]) -> str:
    """The rows as one CSV document."""
    out = io.StringIO()
    csv_writer(out).writerows(rows)
    return out.getvalue()


def xlsx_bytes(rows: Iterable[Row], *, sheet: str = "Export") -> bytes:
    """The rows as a one-sheet workbook. Every cell is written as text after the same rule:
    openpyxl would otherwise store a string starting with `=` as a live formula."""
    from openpyxl import Workbook  # imported here: only XLSX exports need it

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])  # Excel's limit on sheet names
    for row in rows:
        worksheet.append([safe_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
