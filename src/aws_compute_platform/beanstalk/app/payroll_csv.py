"""The payroll file format: its header, the checks on every row, and the totals of a file that passes them.

Rows are read one at a time and only the running totals and the first errors are kept, so a file of any length
is checked in constant memory.

What spreadsheets export is accepted when it can be read one way only:
- the delimiter is ',' or ';' (Excel in a locale whose decimal separator is a comma writes ';'), found from the
  header line, which must name the five columns under either (and in a ';' file an amount may use a decimal comma);
- the header may be quoted, and column names are compared without case or surrounding spaces;
- lines may end with CRLF, LF or a lone CR (Excel's "CSV (Macintosh)");
- the text is UTF-8 (with or without a byte-order mark); a file that is not UTF-8 is read as Windows-1252, which is
  what Excel's plain "CSV (Comma delimited)" writes on Windows, and the result says so. A file that is UTF-8 in one
  place and not in another, UTF-16, or binary is refused with what to do instead.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

HEADER = ("employee_id", "employee_name", "gross_pay", "tax_withheld", "net_pay")
HEADER_LINE = ",".join(HEADER)
DELIMITERS = (",", ";")
# Every bad row is counted; only the first ones are listed, so a file that is wrong everywhere stays readable
# in an email and the result object stays small.
MAX_LISTED_ERRORS = 50

READ_CHUNK = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024
UTF8 = "utf-8"
CP1252 = "cp1252"
ENCODING_NAMES = {UTF8: "UTF-8", CP1252: "Windows-1252"}
SAVE_AS = "save it from the spreadsheet as 'CSV UTF-8 (Comma delimited)' and upload it again"

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BREAK = re.compile(rb"\r\n|\r|\n")
# C0 control characters other than tab and line breaks: a text export has none of them, while a spreadsheet's
# binary formats (.xlsx is a zip file, .xls an OLE file) have them within their first bytes. The table turns each
# into 0 and every other byte into 1, so bytes.translate + find locate one at the speed of a copy.
_CONTROL_BYTES = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F}
_CONTROL_MARKS = bytes(0 if b in _CONTROL_BYTES else 1 for b in range(256))
_EMPLOYEE_ID = re.compile(r"[A-Za-z0-9-]{1,32}")
_AMOUNT = {",": re.compile(r"\d{1,9}(\.\d{1,2})?"), ";": re.compile(r"\d{1,9}([.,]\d{1,2})?")}
_AMOUNT_EXAMPLE = {",": "1234.56", ";": "1234,56 or 1234.56"}


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class TextProblemError(ValueError):
    """The bytes cannot be read as the text of a CSV export; the message names the line and what to do."""


# -- bytes to lines of text -----------------------------------------------------------------------------------------
def _breaks(data: bytes) -> int:
    """How many line breaks (CRLF, LF or a lone CR) `data` holds (single-byte counts first: they are the fast ones)."""
    carriage_returns = data.count(b"\r")
    if not carriage_returns:
        return data.count(b"\n")
    line_feeds = data.count(b"\n")
    return carriage_returns + line_feeds - (data.count(b"\r\n") if line_feeds else 0)


class TextDecoder:
    """Decodes a byte stream fed in chunks, in whole lines: UTF-8 until a line is not, then Windows-1252.

    Switching is only allowed while every line so far was ASCII (which both encodings read the same), so the outcome
    is exactly "the whole file read as UTF-8" or "the whole file read as Windows-1252". Work is done a chunk at a
    time by the codecs and the regular expression engine; only a problem is traced back to its line. At most one
    partial line (MAX_LINE_BYTES) is held between chunks.
    """

    def __init__(self) -> None:
        self.encoding = UTF8
        self.lines = 0  # complete lines decoded so far
        self._pending = b""
        self._utf8_line: int | None = None  # the first line that needed UTF-8 (non-ASCII, or a byte-order mark)

    def feed(self, chunk: bytes, *, final: bool = False) -> str:
        """The text of the complete lines that `chunk` finishes (with their line breaks), all of it when final."""
        data = self._pending + chunk if self._pending else chunk
        if final:
            cut = len(data)
        else:
            end = len(data) - 1 if data.endswith(b"\r") else len(data)  # maybe the first half of a CRLF
            cut = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end)) + 1
        block, self._pending = data[:cut], data[cut:]
        if len(self._pending) > MAX_LINE_BYTES:
            raise TextProblemError(
                f"line {self.lines + 1} is longer than {MAX_LINE_BYTES} bytes: the file is not a CSV export"
            )
        first = self.lines + 1
        text = self._decode(first, block) if block else ""
        self.lines += _breaks(block) + (1 if final and block and not block.endswith((b"\n", b"\r")) else 0)
        return text

    def _decode(self, first: int, block: bytes) -> str:
        if first == 1:
            if block.startswith(_UTF16_BOMS):
                raise TextProblemError(f"the file is UTF-16 text (a 'Unicode Text' export): {SAVE_AS}")
            if block.startswith(_BOM):
                block = block[len(_BOM) :]
                self._utf8_line = 1
        if self.encoding == UTF8:
            try:
                text = block.decode(UTF8)
            except UnicodeDecodeError as exc:
                bad = first + _breaks(block[: exc.start])
                before = block[: exc.start]
                if self._utf8_line is None and not before.isascii():
                    self._utf8_line = first + _breaks(before[: _first_non_ascii(before)])
                if self._utf8_line is not None:
                    raise TextProblemError(
                        f"line {bad} is not UTF-8 text although line {self._utf8_line} is: the file mixes "
                        f"encodings; {SAVE_AS}"
                    ) from None
                self.encoding = CP1252
            else:
                if self._utf8_line is None and not block.isascii():
                    self._utf8_line = first + _breaks(block[: _first_non_ascii(block)])
                return _checked(first, block, text)
        try:
            text = block.decode(CP1252)
        except UnicodeDecodeError as exc:
            raise TextProblemError(
                f"line {first + _breaks(block[: exc.start])}: byte 0x{block[exc.start]:02x} is neither UTF-8 nor "
                f"Windows-1252 text; {SAVE_AS}"
            ) from None
        return _checked(first, block, text)


_NON_ASCII = re.compile(rb"[\x80-\xff]")
_STR_BREAK = re.compile(r"\r\n|\r|\n")


def _first_non_ascii(data: bytes) -> int:
    found = _NON_ASCII.search(data)
    return found.start() if found else len(data)


def _checked(first: int, block: bytes, text: str) -> str:
    """`text`, unless `block` holds a control byte (both encodings keep bytes below 0x80 as they are)."""
    found = block.translate(_CONTROL_MARKS).find(0)
    if found >= 0:
        raise TextProblemError(
            f"line {first + _breaks(block[:found])} contains the control byte 0x{block[found]:02x}: this is not a "
            f"text CSV file (a spreadsheet file such as .xlsx?); {SAVE_AS}"
        )
    return text


class TextCheck(TextDecoder):
    """The web tier's check of an upload as it streams: the same rules as the worker's, without keeping the text."""


class TextLines:
    """The lines of a byte stream (an S3 body) as text, each ending in '\\n', read 64 KiB at a time."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._decoder = TextDecoder()

    @property
    def encoding(self) -> str:
        return self._decoder.encoding

    def __iter__(self) -> Iterator[str]:
        final = False
        while not final:
            chunk = self._stream.read(READ_CHUNK)
            final = not chunk
            text = self._decoder.feed(chunk, final=final)
            if not text:
                continue
            lines = _STR_BREAK.split(text)
            if lines[-1] == "":
                lines.pop()  # the block ended with a line break
            for line in lines:
                yield line + "\n"


def text_lines(stream: Readable) -> TextLines:
    """The lines of a byte stream as text."""
    return TextLines(stream)


# -- the header -----------------------------------------------------------------------------------------------------
def first_line(raw: bytes) -> str:
    """The header line's text from the first bytes of a file (up to its first line break)."""
    end = _BREAK.search(raw)
    return TextDecoder().feed(raw[: end.start()] if end else raw, final=True)


def _fields(line: str, delimiter: str) -> list[str]:
    parsed = next(csv.reader([line], delimiter=delimiter), [])
    return [f.strip().lower() for f in parsed]


def read_header(line: str) -> tuple[str | None, str | None]:
    """(delimiter, None) when `line` is the payroll header under ',' or ';', else (None, what to fix)."""
    line = line.removeprefix("\ufeff").rstrip("\r\n")
    for delimiter in DELIMITERS:
        if tuple(_fields(line, delimiter)) == HEADER:
            return delimiter, None
    expected = f"the header must be {HEADER_LINE!r} (separated by ',' or ';')"
    if not line.strip():
        return None, f"line 1 is empty: {expected}"
    if "\t" in line and len(_fields(line, "\t")) > 1:
        return None, f"line 1: the columns are separated by tabs (a 'Text' export); {SAVE_AS}"
    names = max((_fields(line, d) for d in DELIMITERS), key=len)
    missing = [n for n in HEADER if n not in names]
    unexpected = [n for n in names if n not in HEADER]
    if not missing and not unexpected and len(names) == len(HEADER):
        return None, f"line 1: the columns must be in this order: {HEADER_LINE!r}"
    details = []
    if missing:
        details.append("missing " + ", ".join(repr(n) for n in missing))
    if unexpected:
        details.append("unexpected " + ", ".join(repr(n) for n in unexpected[:10]))
    return None, f"line 1: {expected}, not {line[:200]!r} ({'; '.join(details) or 'repeated columns'})"


def header_problem(line: str) -> str | None:
    """Why a file's first line is not the payroll header, or None when it is."""
    return read_header(line)[1]


# -- rows and totals ------------------------------------------------------------------------------------------------
@dataclass
class Summary:
    """What processing one file found: totals when every row is good, otherwise the bad lines."""

    rows: int = 0
    gross_pay: Decimal = Decimal("0.00")
    tax_withheld: Decimal = Decimal("0.00")
    net_pay: Decimal = Decimal("0.00")
    error_count: int = 0
    errors: list[str] = field(default_factory=list)
    encoding: str = UTF8
    delimiter: str = ","

    @property
    def accepted(self) -> bool:
        return self.error_count == 0 and self.rows > 0

    @property
    def notes(self) -> list[str]:
        """What was read differently from a plain UTF-8, comma-separated file, for the uploader to check."""
        notes = []
        if self.encoding != UTF8:
            notes.append(
                f"The file is not UTF-8: it was read as {ENCODING_NAMES[self.encoding]} (Excel's 'CSV (Comma "
                f"delimited)'). If a name with accents looks wrong, {SAVE_AS}."
            )
        if self.delimiter != ",":
            notes.append(f"The columns are separated by {self.delimiter!r}.")
        return notes

    def reject(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(message)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "accepted" if self.accepted else "rejected",
            "rows": self.rows,
            "totals": {
                "grossPay": str(self.gross_pay),
                "taxWithheld": str(self.tax_withheld),
                "netPay": str(self.net_pay),
            },
            "errorCount": self.error_count,
            "errors": self.errors,
            "encoding": ENCODING_NAMES[self.encoding],
            "delimiter": self.delimiter,
            "notes": self.notes,
        }


def _amount(text: str, delimiter: str) -> Decimal | None:
    return Decimal(text.replace(",", ".")) if _AMOUNT[delimiter].fullmatch(text) else None


def check_row(line: int, row: list[str], delimiter: str = ",") -> tuple[Decimal, Decimal, Decimal] | str:
    """The row's (gross, tax, net), or the message naming its line and what is wrong with it."""
    if len(row) != len(HEADER):
        other = next((d for d in DELIMITERS if d != delimiter), ",")
        if len(row) == 1 and other in row[0]:
            return f"line {line}: the fields must be separated by {delimiter!r} as in the header, not {other!r}"
        return f"line {line}: expected {len(HEADER)} fields, found {len(row)}"
    employee_id, name, gross_text, tax_text, net_text = (v.strip() for v in row)
    problems = []
    if not _EMPLOYEE_ID.fullmatch(employee_id):
        problems.append(f"employee_id {employee_id!r} must be 1-32 letters, digits or dashes")
    if not name:
        problems.append("employee_name is empty")
    gross, tax, net = (_amount(t, delimiter) for t in (gross_text, tax_text, net_text))
    for column, text, value in (
        ("gross_pay", gross_text, gross),
        ("tax_withheld", tax_text, tax),
        ("net_pay", net_text, net),
    ):
        if value is None:
            problems.append(
                f"{column} {text!r} must be an amount such as {_AMOUNT_EXAMPLE[delimiter]}, without a currency sign "
                "or thousands separators"
            )
    if gross is not None and tax is not None and net is not None and gross - tax != net:
        problems.append(f"net_pay {net} is not gross_pay {gross} minus tax_withheld {tax}")
    if problems:
        return f"line {line}: " + "; ".join(problems)
    assert gross is not None and tax is not None and net is not None
    return gross, tax, net


def summarise(lines: Iterable[str]) -> Summary:
    """Check a whole payroll file, given as an iterable of text lines (a stream), row by row.

    Given a TextLines, the summary also records the encoding it was read with.
    """
    summary = Summary()
    stream = iter(lines)
    line_offset = 1  # csv counts the lines after the header
    reader: Any = None
    try:
        header = next(stream, None)
        if header is None:
            summary.reject("line 1: the file is empty")
            return summary
        delimiter, problem = read_header(header)
        if delimiter is None:
            summary.reject(problem or "line 1: not the payroll header")
            return summary
        summary.delimiter = delimiter
        reader = csv.reader(stream, delimiter=delimiter)
        for row in reader:
            if not row or not "".join(row).strip():
                continue  # a blank line carries no employee
            checked = check_row(reader.line_num + line_offset, row, delimiter)
            if isinstance(checked, str):
                summary.reject(checked)
                continue
            summary.rows += 1
            summary.gross_pay += checked[0]
            summary.tax_withheld += checked[1]
            summary.net_pay += checked[2]
    except TextProblemError as exc:
        summary.reject(str(exc))
    except csv.Error as exc:
        summary.reject(f"line {(reader.line_num if reader else 0) + line_offset}: {exc}")
    finally:
        if isinstance(lines, TextLines):
            summary.encoding = lines.encoding
    if summary.rows == 0 and summary.error_count == 0:
        summary.reject("the file has a header but no employees")
    return summary
