"""The payroll file format against what spreadsheets really export: each case is read one way, or refused saying how.

Excel on Windows writes "CSV (Comma delimited)" in Windows-1252, "CSV (Macintosh)" with CR line endings, and ';'
between columns (with a decimal comma) where the locale's decimal separator is a comma; many tools quote every
field, the header included.
"""

from __future__ import annotations

import io
import sys
from decimal import Decimal
from pathlib import Path

import pytest

APP_DIR = Path(__file__).resolve().parent.parent / "src" / "aws_compute_platform" / "beanstalk" / "app"
sys.path.insert(0, str(APP_DIR))

import payroll_csv  # noqa: E402

HEADER = "employee_id,employee_name,gross_pay,tax_withheld,net_pay"


class _Trickle:
    """A stream that returns `step` bytes per read, to put chunk boundaries everywhere."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = io.BytesIO(data)
        self._step = step

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(min(self._step, size if size >= 0 else self._step))


def summary_of(content: bytes, step: int | None = None) -> payroll_csv.Summary:
    lines = payroll_csv.TextLines(_Trickle(content, step) if step else io.BytesIO(content))
    summary = payroll_csv.summarise(lines)
    assert summary.encoding == lines.encoding
    return summary


def test_an_excel_cp1252_export_with_accented_names_is_read_as_windows_1252_and_says_so() -> None:
    content = (HEADER + "\r\nE-1,Zoë Brontë,10.00,1.00,9.00\r\nE-2,Renée Ø\u2019Neil,20,2,18\r\n").encode("cp1252")
    summary = summary_of(content)
    assert (summary.accepted, summary.rows, summary.encoding) == (True, 2, "cp1252")
    assert summary.as_json()["encoding"] == "Windows-1252"
    [note] = summary.notes
    assert "not UTF-8" in note and "Windows-1252" in note and "CSV UTF-8" in note


def test_a_utf8_export_with_accents_and_a_byte_order_mark_is_read_as_utf8_without_a_note() -> None:
    summary = summary_of(("\ufeff" + HEADER + "\nE-1,Zoë Brontë,10,1,9\n").encode())
    assert (summary.accepted, summary.encoding, summary.notes) == (True, "utf-8", [])


def test_a_file_that_is_utf8_by_its_byte_order_mark_and_cp1252_later_is_refused() -> None:
    content = ("\ufeff" + HEADER + "\n").encode() + "E-1,Zoë,10,1,9\n".encode("cp1252")
    [error] = summary_of(content).errors
    assert error.startswith("line 2 is not UTF-8 text although line 1 is")


@pytest.mark.parametrize("step", [None, 1, 7])
def test_cr_only_line_endings_are_lines(step: int | None) -> None:
    content = (HEADER + "\rE-1,Ada,10,1,9\rE-2,Grace,20,2,18\r\rE-3,Alan,5,1,4").encode()
    summary = summary_of(content, step)
    assert (summary.accepted, summary.rows, summary.net_pay) == (True, 3, Decimal("31"))


@pytest.mark.parametrize("step", [1, 2, 3])
def test_a_crlf_split_across_chunks_is_one_line_break_so_line_numbers_stay_right(step: int) -> None:
    content = (HEADER + "\r\nE-1,Ada,10,1,9\r\nE-2,Grace,20,2,17\r\n").encode()
    assert summary_of(content, step).errors == ["line 3: net_pay 17 is not gross_pay 20 minus tax_withheld 2"]


def test_a_semicolon_export_from_an_eu_locale_with_decimal_commas_is_totalled() -> None:
    content = (
        "employee_id;employee_name;gross_pay;tax_withheld;net_pay\r\n"
        "E-1;Zoë;5000,50;1000,25;4000,25\r\n"
        'E-2;"Núñez, José";1200.00;200.00;1000.00\r\n'
    ).encode()
    summary = summary_of(content)
    assert (summary.accepted, summary.delimiter) == (True, ";")
    assert (summary.gross_pay, summary.tax_withheld, summary.net_pay) == (
        Decimal("6200.50"),
        Decimal("1200.25"),
        Decimal("5000.25"),
    )
    assert summary.notes == ["The columns are separated by ';'."]


def test_decimal_commas_and_thousands_separators_are_refused_with_how_to_write_an_amount() -> None:
    comma_file = (HEADER + '\nE-1,Ada,"5000,00",0,"5000,00"\n').encode()
    [error] = summary_of(comma_file).errors
    assert "gross_pay '5000,00' must be an amount such as 1234.56" in error
    semicolon_file = b"employee_id;employee_name;gross_pay;tax_withheld;net_pay\nE-1;Ada;5.000,00;0;5000\n"
    [error] = summary_of(semicolon_file).errors
    assert "gross_pay '5.000,00' must be an amount such as 1234,56 or 1234.56" in error
    assert "thousands separators" in error


def test_a_row_with_the_other_delimiter_is_named_as_such() -> None:
    content = b"employee_id;employee_name;gross_pay;tax_withheld;net_pay\nE-1,Ada,10,1,9\n"
    assert summary_of(content).errors == ["line 2: the fields must be separated by ';' as in the header, not ','"]


@pytest.mark.parametrize(
    "header",
    [
        '"employee_id","employee_name","gross_pay","tax_withheld","net_pay"',
        '"employee_id";"employee_name";"gross_pay";"tax_withheld";"net_pay"',
        " Employee_ID , employee_name,GROSS_PAY,tax_withheld , net_pay",
        "\ufeff" + HEADER,
    ],
)
def test_quoted_spaced_or_capitalised_headers_are_the_header(header: str) -> None:
    delimiter, problem = payroll_csv.read_header(header + "\r\n")
    assert problem is None and delimiter == (";" if ";" in header else ",")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "line 1 is empty"),
        ("employee_id,employee_name,gross_pay,net_pay", "missing 'tax_withheld'"),
        ("employee_id,employee_name,gross,tax_withheld,net_pay", "missing 'gross_pay'; unexpected 'gross'"),
        ("employee_name,employee_id,gross_pay,tax_withheld,net_pay", "the columns must be in this order"),
        ("employee_id\temployee_name\tgross_pay\ttax_withheld\tnet_pay", "separated by tabs"),
        ("employee_id|employee_name|gross_pay|tax_withheld|net_pay", "separated by ',' or ';'"),
    ],
)
def test_a_header_that_is_not_the_payroll_header_says_what_to_fix(header: str, expected: str) -> None:
    delimiter, problem = payroll_csv.read_header(header)
    assert delimiter is None and problem is not None and problem.startswith("line 1") and expected in problem


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "UTF-16"),
        (HEADER.encode() + b"\nE-1,Ada,10,1,9\nPK\x03\x04\x14\x00", "line 3 contains the control byte 0x03"),
        (HEADER.encode() + b"\nE-1,Ad\x81a,10,1,9\n", "line 2: byte 0x81 is neither UTF-8 nor Windows-1252"),
        (HEADER.encode() + b"\n" + b"x" * (payroll_csv.MAX_LINE_BYTES + 10), "line 2 is longer than"),
    ],
)
def test_what_cannot_be_read_as_text_is_refused_naming_the_line_and_what_to_do(content: bytes, expected: str) -> None:
    [error] = summary_of(content).errors
    assert expected in error


def test_the_web_tier_check_applies_the_same_rules_chunk_by_chunk() -> None:
    check = payroll_csv.TextCheck()
    check.feed((HEADER + "\r\nE-1,Ada,10,1,9\r").encode())
    check.feed("\nE-2,Zoë,10,1,9\r\n".encode("cp1252"))
    check.feed(b"E-3,Alan,10,1,9", final=True)
    assert (check.encoding, check.lines) == ("cp1252", 4)
    mixed = payroll_csv.TextCheck()
    mixed.feed((HEADER + "\nE-1,Zoë,10,1,9\n").encode())
    with pytest.raises(payroll_csv.TextProblemError, match="line 3 is not UTF-8 text although line 2 is"):
        mixed.feed("E-2,Zoë,10,1,9\n".encode("cp1252"), final=True)


def test_blank_rows_and_rows_of_empty_fields_carry_no_employee() -> None:
    summary = summary_of((HEADER + "\nE-1,Ada,10,1,9\n\n,,,,\n;;;;\n").encode())
    # ';;;;' in a ',' file is one field that is not empty
    assert summary.errors == ["line 5: the fields must be separated by ',' as in the header, not ';'"]
    assert summary.rows == 1
