"""The one export helper: every CSV and XLSX cell neutralised by the documented rule
(OWASP CSV injection: =, +, -, @, tab and carriage return; plain numbers stay intact)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engagements.exports import FORMULA_PREFIXES, csv_text, safe_cell, xlsx_bytes

HOSTILE = [
    ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *HOSTILE,
        ("Plain text", "Plain text"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (3.75, "3.75"),
        # Plain numbers are inert: E.164 phones and negative amounts stay importable.
        ("+447700900123", "+447700900123"),
        ("-12.50", "-12.50"),
        (-2, "-2"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe(value, expected):
    assert safe_cell(value) == expected


@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none()))
def test_no_cell_ever_leaves_starting_with_a_formula_character_unless_it_is_a_number(value):
    cell = safe_cell(value)
    if cell.startswith(FORMULA_PREFIXES):
        float(cell)  # only a plain number may keep its sign
    text = "" if value is None else str(value)
    assert cell in (text, "'" + text)


def test_a_csv_document_neutralises_every_cell_and_ends_lines_with_crlf():
    text = csv_text([["name", "note"], *[[value, "ok"] for value, _ in HOSTILE]])

    assert text.startswith("name,note\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in rows[1:]] == [expected for _, expected in HOSTILE]


def test_a_workbook_stores_a_hostile_value_as_text_never_as_a_formula():
    data = xlsx_bytes([["name"], *[[value] for value, _ in HOSTILE], [42]], sheet="Ranking")

    sheet = openpyxl.load_workbook(io.BytesIO(data))["Ranking"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return back as a line feed; the apostrophe is what matters.
    assert [c.value.replace("\n", "\r") for c in cells[:-1]] == [e for _, e in HOSTILE]
    assert all(c.data_type == "s" for c in cells)
