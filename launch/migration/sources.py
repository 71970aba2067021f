"""Reading legacy exports: CSV (encoding and delimiter detected) and XLSX (first sheet).

`inspect_source` makes one streaming pass over the whole file and either returns what it found
(format, encoding, delimiter, headers, a preview, the row count) or raises SourceError with a
sentence the consultant can act on. `iter_rows` then streams the rows with those settings.
Neither ever holds the whole file in memory: the CSV module reads line by line through a
decoding text stream, openpyxl reads a workbook in read-only (streaming) mode.

Detection rules:
- Format: XLSX by its ZIP signature (or an .xlsx/.xlsm name); an old binary .xls is refused
  with a hint; anything else is read as delimited text.
- Encoding: a byte-order mark wins; then UTF-8 if the first MiB decodes as UTF-8, or holds
  valid multi-byte UTF-8 beside a few bad bytes (reported by line); otherwise
  charset-normalizer's best guess on that sample (ties go to Windows-1252, the usual encoding
  of Western legacy exports). If a file whose sample was plain ASCII later turns out not to be
  UTF-8, the bytes around the first bad line are detected again and the pass restarted once.
- Delimiter: csv.Sniffer on the first lines, restricted to , ; tab and |, kept only if it
  splits the sample into rows of the header's width; otherwise the candidate that does so most
  consistently. A file with one column is fine.
- Row numbers are record numbers as a spreadsheet shows them (the header is row 1); encoding
  errors name the physical line, as a text editor shows it. Blank rows are skipped and not
  counted.
- XLSX safety: before a workbook is opened, its ZIP directory is checked: the parts may unpack
  to at most XLSX_MAX_UNPACKED bytes together, and no big part may be compressed more than
  XLSX_MAX_RATIO to 1 (a decompression bomb). Python's zipfile never unpacks more than an
  entry's declared size, so the declared sizes are what counts. A workbook damaged inside (a
  truncated sheet, a bad CRC) is refused by SourceError while its rows are read, naming the
  last row read.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import pathlib
import zipfile
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from xml.etree.ElementTree import ParseError

import charset_normalizer

SAMPLE_BYTES = 1 << 20
# A CRM field longer than this is a broken file (typically a quote never closed swallowing the
# rows after it), not data. Below the csv module's own limit (131,072) so we can name the cell.
MAX_FIELD_CHARS = 32_768
PREVIEW_ROWS = 10
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MAX_LISTED = 5
# A real workbook's parts unpack to a few times their size (XML compresses well, 5–30 to 1;
# a sheet of one value repeated, rarely above 100). Excel's largest sheet (1,048,576 rows) of
# 20 columns unpacks to under 1 GB. Parts smaller than XLSX_RATIO_FROM are not ratio-checked.
XLSX_MAX_UNPACKED = 2 * 1024**3
XLSX_MAX_RATIO = 200
XLSX_RATIO_FROM = 10 * 1024**2
# What a damaged workbook raises while its sheet is streamed: broken XML, a corrupt or cut
# deflate stream, a bad CRC, a part missing, cell values openpyxl cannot convert.
_XLSX_DAMAGE = (
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    OSError,
)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class SourceError(Exception):
    """The file cannot be used. `message` (also `str(error)`) says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SourceInfo:
    format: str  # "csv" | "xlsx"
    encoding: str | None  # CSV only
    delimiter: str | None  # CSV only
    headers: tuple[str, ...]
    preview: tuple[tuple[str, ...], ...]  # the first 10 data rows
    row_count: int  # data rows, not counting blank rows

    @property
    def delimiter_name(self) -> str | None:
        return DELIMITER_NAMES.get(self.delimiter or "", self.delimiter)


def inspect_source(path: pathlib.Path, *, filename: str) -> SourceInfo:
    """Detect the format, encoding and delimiter of the file at `path` (uploaded as `filename`)
    and check it whole in one streaming pass. Raises SourceError for an empty file or one
    without data rows, undecodable bytes (naming the line), ragged rows (first row numbers,
    expected vs found column count), duplicate or blank headers, and a field over the size
    limit (row and column)."""
    path = pathlib.Path(path)
    if path.stat().st_size == 0:
        raise SourceError(f"“{filename}” is empty.")
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if _is_xlsx(head, filename):
        return _inspect_xlsx(path, filename)
    encoding = _detect_encoding(head, filename)
    try:
        return _inspect_csv(path, filename, head, encoding)
    except _DecodeFailure as failure:
        retry = _redetect(path, failure, head, encoding)
        if retry is None:
            raise failure.error() from None
        try:
            return _inspect_csv(path, filename, head, retry)
        except _DecodeFailure as second:
            raise second.error() from None


def iter_rows(path: pathlib.Path, info: SourceInfo) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream (row number, {header: value}) pairs; the row number is the record's number in the
    file, the header being row 1, so the first data row is 2. Blank rows are skipped."""
    path = pathlib.Path(path)
    headers = info.headers
    width = len(headers)
    if info.format == "xlsx":
        records = _xlsx_records(path, path.name)
    else:
        records = _csv_records(path, path.name, info.encoding or "utf-8", info.delimiter or ",")
    try:
        next(records)  # the header
        for number, _line, row in records:
            if _is_blank(row):
                continue
            if len(row) != width:
                raise SourceError(
                    f"Row {number} has {len(row)} columns where the header has {width}; the "
                    "file has changed since it was checked — upload it again."
                )
            yield number, dict(zip(headers, row, strict=True))
    except _DecodeFailure as failure:
        raise failure.error() from None
    finally:
        records.close()


# ---------------------------------------------------------------------------------------------
# Format and encoding


def _is_xlsx(head: bytes, filename: str) -> bool:
    suffix = pathlib.PurePath(filename).suffix.lower()
    if head.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise SourceError(
            f"“{filename}” is an old Excel 97–2003 workbook (.xls); open it in Excel and save it "
            "as .xlsx or as CSV (UTF-8), then upload that."
        )
    if head.startswith(_ZIP_MAGIC):
        return True
    if suffix in (".xlsx", ".xlsm"):
        raise SourceError(f"“{filename}” is not a valid Excel workbook (.xlsx).")
    return False


def _detect_encoding(head: bytes, filename: str) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        pass
    else:
        if b"\x00" in head:
            raise _binary(filename)
        return "utf-8"
    decoded = head.decode("utf-8", errors="replace")
    if any(ord(ch) > 127 and ch != "\ufffd" for ch in decoded):
        # Valid multi-byte UTF-8 next to invalid bytes: a UTF-8 file with a few bad bytes
        # (pasted from elsewhere). Reading it as UTF-8 fails on the first bad line, by number.
        return "utf-8"
    encoding = _guess_encoding(head)
    if encoding is None or (b"\x00" in head and not encoding.startswith("utf_")):
        raise _binary(filename)
    return encoding


def _guess_encoding(data: bytes) -> str | None:
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    tied = [m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence]
    for match in tied:
        if "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return codecs.lookup(best.encoding).name


def _binary(filename: str) -> SourceError:
    return SourceError(
        f"“{filename}” does not look like a text (CSV) file or an Excel workbook; export the "
        "data as CSV (UTF-8) or .xlsx."
    )


class _DecodeFailure(Exception):
    def __init__(self, filename: str, encoding: str, line: int, offset: int) -> None:
        super().__init__(filename, encoding, line)
        self.filename, self.encoding, self.line, self.offset = filename, encoding, line, offset

    def error(self) -> SourceError:
        name = codecs.lookup(self.encoding).name
        shown = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}.get(name, name)
        return SourceError(
            f"Line {self.line} of “{self.filename}” has characters that are not valid {shown}, "
            f"the encoding the rest of the file is in; save the file again as CSV (UTF-8) and "
            "upload it."
        )


def _find_bad_line(path: pathlib.Path, filename: str, encoding: str) -> _DecodeFailure:
    """Re-read the file only to locate the first undecodable line (the fast pass decodes in
    blocks, so it cannot tell)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    newline = "\n"
    line, offset = 1, 0
    with path.open("rb") as handle:
        for piece in handle:
            try:
                text = decoder.decode(piece)
            except UnicodeDecodeError:
                return _DecodeFailure(filename, encoding, line, offset)
            line += text.count(newline)
            offset += len(piece)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _DecodeFailure(filename, encoding, line, offset)
    return _DecodeFailure(filename, encoding, line, offset)


def _redetect(
    path: pathlib.Path, failure: _DecodeFailure, head: bytes, encoding: str
) -> str | None:
    """A file that started as plain ASCII was guessed UTF-8; when it is not, guess again from
    the bytes around the first bad line."""
    if encoding != "utf-8" or not head.isascii():
        return None
    with path.open("rb") as handle:
        handle.seek(max(0, failure.offset - 4096))
        window = handle.read(65536)
    guess = _guess_encoding(window)
    if guess is None or guess.startswith("utf"):
        return None
    return guess


# ---------------------------------------------------------------------------------------------
# CSV


def _detect_delimiter(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample cut a line short
    sample = "".join(lines[:200])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scores = {d: _consistency(sample, d) for d in DELIMITERS}
    if sniffed in scores and scores[sniffed][0] >= 0.9 and scores[sniffed][1] > 1:
        return sniffed
    best = max(DELIMITERS, key=lambda d: (scores[d][1] > 1, scores[d][0], scores[d][1]))
    return best if scores[best][1] > 1 else ","


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """(share of sample rows as wide as the header, header width) when split by `delimiter`."""
    try:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
    except csv.Error:
        return 0.0, 0
    if not rows:
        return 0.0, 0
    width = len(rows[0])
    if len(rows) == 1:
        return 1.0, width
    same = sum(1 for row in rows[1:] if len(row) == width)
    return same / (len(rows) - 1), width


def _csv_records(
    path: pathlib.Path, filename: str, encoding: str, delimiter: str
) -> Generator[tuple[int, int, list[str]]]:
    """(record number, first physical line, fields) for every record, header included; turns
    decoding and csv errors into SourceError/_DecodeFailure."""
    with path.open("r", encoding=encoding, errors="strict", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True)
        number = 0
        line = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise _find_bad_line(path, filename, encoding) from None
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise SourceError(
                        f"Row {number + 1} of “{filename}” (from line {line}) has a field "
                        f'longer than {MAX_FIELD_CHARS:,} characters — usually a quote (") '
                        "that is never closed. Fix that row and upload the file again."
                    ) from None
                raise SourceError(
                    f"Row {number + 1} of “{filename}” (line {line}) cannot be read: {exc}."
                ) from None
            number += 1
            if row and max(map(len, row)) > MAX_FIELD_CHARS:
                column = next(i for i, v in enumerate(row) if len(v) > MAX_FIELD_CHARS)
                raise SourceError(
                    f"Row {number} of “{filename}”, column {_column_name(column)}, holds "
                    f"{len(row[column]):,} characters; the limit is {MAX_FIELD_CHARS:,} — usually "
                    'a quote (") that is never closed. Fix that row and upload the file again.'
                )
            yield number, line, row
            line = reader.line_num + 1


def _inspect_csv(path: pathlib.Path, filename: str, head: bytes, encoding: str) -> SourceInfo:
    text = codecs.getincrementaldecoder(encoding)("replace").decode(head, final=False)
    delimiter = _detect_delimiter(text)
    headers, preview, count = _check_records(
        _csv_records(path, filename, encoding, delimiter), filename
    )
    return SourceInfo(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        headers=headers,
        preview=preview,
        row_count=count,
    )


# ---------------------------------------------------------------------------------------------
# Checks shared by CSV and XLSX


def _is_blank(row: list[str]) -> bool:
    return not any(row) or "".join(row).isspace()


def _column_name(index: int) -> str:
    """0 → "1 (A)", 27 → "28 (AB)": the number and the spreadsheet letter."""
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{index + 1} ({letters})"


def _check_headers(raw: list[str], filename: str) -> tuple[str, ...]:
    headers = [value.replace("\ufeff", "").strip() for value in raw]
    if not any(headers):
        raise SourceError(f"The first row of “{filename}” is empty; it must hold the column names.")
    blank = [_column_name(i) for i, header in enumerate(headers) if not header]
    if blank:
        raise SourceError(
            f"“{filename}” has columns without a name in the header row: column "
            f"{_listing(blank)}. Name every column (or delete the empty ones) and upload again."
        )
    seen: dict[str, str] = {}
    duplicates: list[str] = []
    for header in headers:
        key = header.casefold()
        if key in seen and header not in duplicates:
            duplicates.append(header)
        seen.setdefault(key, header)
    if duplicates:
        names = _listing([f"“{name}”" for name in duplicates])
        raise SourceError(
            f"“{filename}” has the same column name more than once: {names}. Column names "
            "must be unique; rename the repeated ones and upload again."
        )
    return tuple(headers)


def _listing(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _check_records(
    records: Generator[tuple[int, int, list[str]]], filename: str
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], int]:
    try:
        first = next(records, None)
        if first is None:
            raise SourceError(f"“{filename}” is empty.")
        headers = _check_headers(first[2], filename)
        width = len(headers)
        preview: list[tuple[str, ...]] = []
        count = 0
        ragged: list[tuple[int, int]] = []
        ragged_total = 0
        for number, _line, row in records:
            if _is_blank(row):
                continue
            if len(row) != width:
                ragged_total += 1
                if len(ragged) < MAX_LISTED:
                    ragged.append((number, len(row)))
                continue
            count += 1
            if len(preview) < PREVIEW_ROWS:
                preview.append(tuple(row))
    finally:
        records.close()
    if ragged:
        listed = _listing([f"row {number} has {found}" for number, found in ragged])
        more = (
            f" ({ragged_total - len(ragged):,} more rows too)" if ragged_total > len(ragged) else ""
        )
        raise SourceError(
            f"“{filename}” has rows with the wrong number of columns: the header has {width}, "
            f"but {listed}{more}. Check for unquoted delimiters or line breaks in those rows."
        )
    if count == 0:
        raise SourceError(f"“{filename}” has column names but no data rows.")
    return headers, tuple(preview), count


# ---------------------------------------------------------------------------------------------
# XLSX


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _unreadable_xlsx(filename: str, exc: BaseException) -> SourceError:
    return SourceError(
        f"“{filename}” is not a readable Excel workbook (.xlsx): {exc}. Save it again from "
        "Excel as .xlsx, or as CSV (UTF-8)."
    )


def _check_xlsx_size(path: pathlib.Path, filename: str) -> None:
    """Refuse a workbook that would unpack to far more than any real export (a decompression
    bomb) before any part of it is unpacked; only the ZIP directory is read."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable_xlsx(filename, exc) from None
    total = sum(entry.file_size for entry in entries)
    if total > XLSX_MAX_UNPACKED:
        raise SourceError(
            f"“{filename}” unpacks to {total / 1024**3:,.1f} GB, over the "
            f"{XLSX_MAX_UNPACKED / 1024**3:,.0f} GB an Excel workbook may hold here; it is not "
            "opened. Export the data as CSV (UTF-8) and upload that."
        )
    for entry in entries:
        if entry.file_size < XLSX_RATIO_FROM:
            continue
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > XLSX_MAX_RATIO:
            raise SourceError(
                f"“{filename}” holds a part ({entry.filename}) compressed {ratio:,.0f} to 1, far "
                "beyond any real workbook (a decompression bomb); it is not opened. Export the "
                "data as CSV (UTF-8) and upload that."
            )


def _xlsx_records(path: pathlib.Path, filename: str) -> Generator[tuple[int, int, list[str]]]:
    import openpyxl  # imported here: only XLSX sources need it
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_size(path, filename)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *_XLSX_DAMAGE) as exc:
        raise _unreadable_xlsx(filename, exc) from None
    number = 0
    try:
        if not workbook.worksheets:
            raise SourceError(f"“{filename}” has no worksheet.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the stored dimensions are often wrong; read what is there
        rows = sheet.iter_rows(values_only=True)
        width: int | None = None
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except _XLSX_DAMAGE as exc:
                where = f"after row {number}" if number else "at its first row"
                raise SourceError(
                    f"“{filename}” is damaged and cannot be read {where} ({type(exc).__name__}: "
                    f"{exc}). Open it in Excel and save it again as .xlsx, or as CSV (UTF-8), "
                    "and upload that."
                ) from None
            number += 1
            row = [_cell_text(value) for value in cells]
            if width is None:
                while row and not row[-1].strip():
                    row.pop()
                width = len(row)
            elif len(row) != width:
                # Trailing empty cells are formatting, not data; anything else is ragged.
                last = len(row)
                while last > width and not row[last - 1]:
                    last -= 1
                row = row[:last] if last >= width else row + [""] * (width - last)
            for column, value in enumerate(row):
                if len(value) > MAX_FIELD_CHARS:
                    raise SourceError(
                        f"Row {number} of “{filename}”, column {_column_name(column)}, holds "
                        f"{len(value):,} characters; the limit is {MAX_FIELD_CHARS:,}."
                    )
            yield number, number, row
    finally:
        workbook.close()


def _inspect_xlsx(path: pathlib.Path, filename: str) -> SourceInfo:
    headers, preview, count = _check_records(_xlsx_records(path, filename), filename)
    return SourceInfo(
        format="xlsx",
        encoding=None,
        delimiter=None,
        headers=headers,
        preview=preview,
        row_count=count,
    )
