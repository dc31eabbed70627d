"""The payroll file format: its header, the checks on every row, and the totals of a file that passes them.

Rows are read one at a time and only the running totals and the first errors are kept, so a file of any length
is checked in constant memory.
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
# Every bad row is counted; only the first ones are listed, so a file that is wrong everywhere stays readable
# in an email and the result object stays small.
MAX_LISTED_ERRORS = 50

READ_CHUNK = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_EMPLOYEE_ID = re.compile(r"[A-Za-z0-9-]{1,32}")
_AMOUNT = re.compile(r"\d{1,9}(\.\d{1,2})?")


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def text_lines(stream: Readable) -> Iterator[str]:
    """The lines of a UTF-8 byte stream (an S3 body), read 64 KiB at a time and decoded one line at a time.

    The bytes are split at newlines before decoding (a newline byte never occurs inside a UTF-8 character), so a
    decoding error belongs to exactly one line and the checker can name it. A spreadsheet's byte-order mark is
    dropped.
    """
    pending = b""
    first = True
    while chunk := stream.read(READ_CHUNK):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            text = (raw.removeprefix(_BOM) if first else raw).decode("utf-8")
            first = False
            yield text + "\n"
        if len(pending) > MAX_LINE_BYTES:
            raise csv.Error(f"a line is longer than {MAX_LINE_BYTES} bytes")
    if pending:
        yield (pending.removeprefix(_BOM) if first else pending).decode("utf-8")


def header_problem(first_line: str) -> str | None:
    """Why a file's first line is not the payroll header, or None when it is."""
    line = first_line.removeprefix("\ufeff").rstrip("\r\n")
    if line == HEADER_LINE:
        return None
    return f"line 1: the header must be exactly {HEADER_LINE!r}, not {line[:200]!r}"


@dataclass
class Summary:
    """What processing one file found: totals when every row is good, otherwise the bad lines."""

    rows: int = 0
    gross_pay: Decimal = Decimal("0.00")
    tax_withheld: Decimal = Decimal("0.00")
    net_pay: Decimal = Decimal("0.00")
    error_count: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.error_count == 0 and self.rows > 0

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
        }


def _amount(text: str) -> Decimal | None:
    return Decimal(text) if _AMOUNT.fullmatch(text) else None


def check_row(line: int, row: list[str]) -> tuple[Decimal, Decimal, Decimal] | str:
    """The row's (gross, tax, net), or the message naming its line and what is wrong with it."""
    if len(row) != len(HEADER):
        return f"line {line}: expected {len(HEADER)} fields, found {len(row)}"
    employee_id, name, gross_text, tax_text, net_text = (v.strip() for v in row)
    problems = []
    if not _EMPLOYEE_ID.fullmatch(employee_id):
        problems.append(f"employee_id {employee_id!r} must be 1-32 letters, digits or dashes")
    if not name:
        problems.append("employee_name is empty")
    gross, tax, net = _amount(gross_text), _amount(tax_text), _amount(net_text)
    for column, text, value in (
        ("gross_pay", gross_text, gross),
        ("tax_withheld", tax_text, tax),
        ("net_pay", net_text, net),
    ):
        if value is None:
            problems.append(f"{column} {text!r} must be an amount such as 1234.56")
    if gross is not None and tax is not None and net is not None and gross - tax != net:
        problems.append(f"net_pay {net} is not gross_pay {gross} minus tax_withheld {tax}")
    if problems:
        return f"line {line}: " + "; ".join(problems)
    assert gross is not None and tax is not None and net is not None
    return gross, tax, net


def summarise(lines: Iterable[str]) -> Summary:
    """Check a whole payroll file, given as an iterable of text lines (a stream), row by row."""
    summary = Summary()
    reader = csv.reader(lines)
    try:
        first = next(reader, None)
        if first is None:
            summary.reject("line 1: the file is empty")
            return summary
        problem = header_problem(",".join(first))
        if problem:
            summary.reject(problem)
            return summary
        for row in reader:
            if not row:
                continue  # a blank line carries no employee
            checked = check_row(reader.line_num, row)
            if isinstance(checked, str):
                summary.reject(checked)
                continue
            summary.rows += 1
            summary.gross_pay += checked[0]
            summary.tax_withheld += checked[1]
            summary.net_pay += checked[2]
    except UnicodeDecodeError:
        summary.reject(f"line {reader.line_num + 1}: the file is not UTF-8 text")
    except csv.Error as exc:
        summary.reject(f"line {reader.line_num}: {exc}")
    if summary.rows == 0 and summary.error_count == 0:
        summary.reject("the file has a header but no employees")
    return summary
