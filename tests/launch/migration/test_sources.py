"""Reading legacy exports: detection, streaming rows, and a clear message for each bad file."""

import codecs
import datetime as dt
import pathlib
import zipfile

import openpyxl
import pytest

from launch.migration import sources
from launch.migration.sources import (
    MAX_FIELD_CHARS,
    SourceError,
    SourceInfo,
    inspect_source,
    iter_rows,
)


def write(tmp_path: pathlib.Path, name: str, data: bytes | str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def inspect(path: pathlib.Path) -> SourceInfo:
    return inspect_source(path, filename=path.name)


def refused(path: pathlib.Path) -> str:
    with pytest.raises(SourceError) as caught:
        inspect(path)
    assert str(caught.value) == caught.value.message
    return caught.value.message


# --- good files -----------------------------------------------------------------------------


def test_it_reads_a_utf8_comma_file_with_preview_row_count_and_file_row_numbers(tmp_path):
    path = write(
        tmp_path,
        "contacts.csv",
        'Id,Name,Notes\r\n1,Ann,"two\r\nlines"\r\n\r\n2,Zoë,"a, b"\r\n3,Bob,\r\n',
    )
    info = inspect(path)
    assert (info.format, info.encoding, info.delimiter) == ("csv", "utf-8", ",")
    assert info.headers == ("Id", "Name", "Notes")
    assert info.row_count == 3
    assert info.preview[0] == ("1", "Ann", "two\r\nlines")
    rows = list(iter_rows(path, info))
    # Row numbers as a spreadsheet shows them: the header is row 1, the blank row 3 is skipped.
    assert [number for number, _ in rows] == [2, 4, 5]
    assert rows[1][1] == {"Id": "2", "Name": "Zoë", "Notes": "a, b"}


def test_it_detects_a_windows_1252_semicolon_export(tmp_path):
    path = write(tmp_path, "legacy.csv", "Id;Name;City\r\n1;Zoë Brûlée;Genève\r\n", "cp1252")
    info = inspect(path)
    assert (info.encoding, info.delimiter) == ("cp1252", ";")
    assert next(iter_rows(path, info))[1]["City"] == "Genève"


def test_it_reads_excel_unicode_text_utf16_with_tabs(tmp_path):
    path = write(tmp_path, "export.txt", "Id\tName\r\n1\tŁukasz\r\n2\tBob\r\n", "utf-16")
    info = inspect(path)
    assert info.delimiter == "\t"
    assert info.encoding == "utf-16"
    assert [row["Name"] for _, row in iter_rows(path, info)] == ["Łukasz", "Bob"]


def test_a_utf8_byte_order_mark_does_not_end_up_in_the_first_header(tmp_path):
    path = write(tmp_path, "bom.csv", codecs.BOM_UTF8 + b"Id|Email\n7|a@x.com\n")
    info = inspect(path)
    assert info.headers == ("Id", "Email")
    assert info.delimiter == "|"


def test_a_single_column_file_is_fine(tmp_path):
    info = inspect(write(tmp_path, "emails.csv", "Email\na@x.com\nb@x.com\n"))
    assert info.headers == ("Email",)
    assert info.row_count == 2


def test_an_ascii_start_with_windows_1252_later_is_detected_again(tmp_path):
    # The first MiB is plain ASCII (guessed UTF-8); a café far down the file is cp1252.
    filler = "".join(f"{n},Person {n}\n" for n in range(80_000))
    path = write(tmp_path, "big.csv", "Id,Name\n" + filler + "99999,Café\n", "cp1252")
    info = inspect(path)
    assert info.encoding == "cp1252"
    assert list(iter_rows(path, info))[-1][1]["Name"] == "Café"


def test_it_reads_the_first_sheet_of_an_xlsx_workbook(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Id", "Name", "Joined", "Revenue", None])
    sheet.append([1, "Ann", dt.datetime(2024, 3, 1), 1200.5, None])
    sheet.append([2, "Bob", dt.date(2023, 12, 31), 3.0])
    sheet.append([None, None, None, None])
    workbook.create_sheet("Other").append(["ignored"])
    path = tmp_path / "accounts.xlsx"
    workbook.save(path)
    info = inspect(path)
    assert (info.format, info.encoding, info.delimiter) == ("xlsx", None, None)
    assert info.headers == ("Id", "Name", "Joined", "Revenue")
    assert info.row_count == 2
    assert list(iter_rows(path, info)) == [
        (2, {"Id": "1", "Name": "Ann", "Joined": "2024-03-01", "Revenue": "1200.5"}),
        (3, {"Id": "2", "Name": "Bob", "Joined": "2023-12-31", "Revenue": "3"}),
    ]


# --- bad files: each gets a message the consultant can act on ----------------------------------


def test_an_empty_file_is_refused(tmp_path):
    assert refused(write(tmp_path, "empty.csv", b"")) == "“empty.csv” is empty."


def test_a_file_with_headers_but_no_rows_is_refused(tmp_path):
    message = refused(write(tmp_path, "head.csv", "Id,Name\n\n\n"))
    assert message == "“head.csv” has column names but no data rows."


def test_a_file_whose_first_line_is_blank_is_refused(tmp_path):
    message = refused(write(tmp_path, "blank.csv", "\nId,Name\n1,Ann\n"))
    assert "first row" in message and "column names" in message


def test_wrong_encoding_names_the_line(tmp_path):
    good = "Id,Name\n1,Zoë\n2,Ann\n".encode()
    bad = b"3,Caf\xe9 on line four\n4,Bob\n"
    message = refused(write(tmp_path, "mixed.csv", good + bad))
    assert message.startswith("Line 4 of “mixed.csv” has characters that are not valid UTF-8")
    assert "save the file again as CSV (UTF-8)" in message


def test_ragged_rows_are_refused_with_their_numbers_and_counts(tmp_path):
    path = write(tmp_path, "ragged.csv", "Id,Name,Email\n1,Ann,a@x\n2,Bob\n3,Cy,c@x,extra\n4,D,d\n")
    message = refused(path)
    assert "the header has 3" in message
    assert "row 3 has 2 and row 4 has 4" in message


def test_many_ragged_rows_list_the_first_and_count_the_rest(tmp_path):
    rows = "".join(f"{n},x\n" for n in range(20))
    message = refused(write(tmp_path, "r.csv", "Id,Name,Email\n" + rows))
    assert "row 2 has 2, row 3 has 2, row 4 has 2, row 5 has 2 and row 6 has 2" in message
    assert "(15 more rows too)" in message


def test_duplicate_headers_are_named(tmp_path):
    message = refused(write(tmp_path, "dup.csv", "Id,Email,Name,email ,Name\n1,a,b,c,d\n"))
    assert "the same column name more than once: “email” and “Name”" in message


def test_blank_headers_are_located_by_position_and_letter(tmp_path):
    message = refused(write(tmp_path, "gaps.csv", "Id,,Name, \n1,a,b,c\n"))
    assert "columns without a name in the header row: column 2 (B) and 4 (D)" in message


def test_a_single_huge_field_is_refused_with_row_and_column(tmp_path):
    huge = "x" * (MAX_FIELD_CHARS + 1)
    message = refused(write(tmp_path, "huge.csv", f"Id,Name,Notes\n1,Ann,ok\n2,Bob,{huge}\n"))
    assert message.startswith("Row 3 of “huge.csv”, column 3 (C), holds 32,769 characters")


def test_an_unclosed_quote_swallowing_the_file_is_refused_with_its_row(tmp_path):
    rows = "".join(f"{n},Person {n}\n" for n in range(20_000))
    message = refused(write(tmp_path, "quote.csv", 'Id,Name\n1,"Ann\n' + rows))
    assert message.startswith("Row 2 of “quote.csv”")
    assert "never closed" in message


def test_a_binary_file_is_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\xff\xfe\x00\x00" * 50
    message = refused(write(tmp_path, "logo.csv", png))
    assert "does not look like a text (CSV) file" in message


def test_an_old_xls_workbook_is_refused_with_a_hint(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    message = refused(write(tmp_path, "old.xls", ole))
    assert "old Excel 97–2003 workbook" in message and "save it as .xlsx" in message


def test_a_broken_xlsx_is_refused(tmp_path):
    assert "not a readable Excel workbook" in refused(
        write(tmp_path, "broken.xlsx", b"PK\x03\x04 this is not really a zip")
    )


def test_xlsx_files_get_the_same_checks(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Id", "Name", "name"])
    sheet.append([1, "Ann", "x"])
    path = tmp_path / "dup.xlsx"
    workbook.save(path)
    assert "the same column name more than once: “name”" in refused(path)

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Id", "Name"])
    sheet.append([1, "Ann", "stray value"])
    path = tmp_path / "ragged.xlsx"
    workbook.save(path)
    assert "the header has 2, but row 2 has 3" in refused(path)

    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    assert refused(path) == "“empty.xlsx” is empty."


def test_iter_rows_refuses_a_file_changed_after_inspection(tmp_path):
    path = write(tmp_path, "c.csv", "Id,Name\n1,Ann\n")
    info = inspect(path)
    path.write_text("Id,Name\n1,Ann,extra\n")
    with pytest.raises(SourceError, match="has changed since it was checked"):
        list(iter_rows(path, info))


# --- damaged and hostile workbooks ---------------------------------------------------------------


def _workbook(path: pathlib.Path, rows: int = 200) -> pathlib.Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Id", "Name", "Email"])
    for n in range(rows):
        sheet.append([n, f"Person {n}", f"person{n}@example.com"])
    workbook.save(path)
    return path


def _rewrite(path: pathlib.Path, change) -> None:
    """Rewrite the workbook's ZIP with each part passed through `change(name, data)`."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            target.writestr(info.filename, change(info.filename, data))


def test_an_xlsx_with_a_truncated_sheet_is_refused_while_its_rows_are_read(tmp_path):
    # A valid ZIP whose sheet XML was cut short (an upload or a sync that stopped part-way):
    # openpyxl opens it, and only reading the rows finds the damage.
    path = _workbook(tmp_path / "cut.xlsx")
    _rewrite(path, lambda name, data: data[: len(data) // 2] if "worksheets/" in name else data)

    message = refused(path)

    assert message.startswith("“cut.xlsx” is damaged and cannot be read after row ")
    assert "save it again as .xlsx, or as CSV (UTF-8)" in message


def test_iter_rows_reports_a_workbook_damaged_after_inspection_as_a_source_error(tmp_path):
    path = _workbook(tmp_path / "later.xlsx")
    info = inspect(path)
    _rewrite(path, lambda name, data: data[:-300] if "worksheets/" in name else data)

    with pytest.raises(SourceError, match="is damaged and cannot be read after row"):
        list(iter_rows(path, info))


def test_an_xlsx_decompression_bomb_is_refused_before_it_is_opened(tmp_path):
    path = _workbook(tmp_path / "bomb.xlsx", rows=2)
    zeros = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w") as part,
    ):
        for _ in range(64):  # 64 MiB of zeros, packed to about 64 KiB
            part.write(zeros)
    assert path.stat().st_size < 1024 * 1024

    message = refused(path)

    assert "xl/media/padding.bin" in message and "decompression bomb" in message


def test_an_xlsx_unpacking_over_the_size_bound_is_refused(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "huge.xlsx", rows=2000)
    monkeypatch.setattr(sources, "XLSX_MAX_UNPACKED", 50_000, raising=False)

    message = refused(path)

    assert message.startswith("“huge.xlsx” unpacks to ")
    assert "Export the data as CSV (UTF-8)" in message
