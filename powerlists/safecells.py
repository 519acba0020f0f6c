"""Cell rules shared by every export: text stays text, and no character breaks the file.

Exported text comes from the public and from departments' spreadsheets, so any
of it may start with ``=``. openpyxl turns such a string into a live formula
(``=HYPERLINK(...)`` runs when a clerk opens the file), and a spreadsheet
program does the same with ``= + - @`` at the start of a CSV field. Control
characters that XML cannot hold either abort openpyxl's write or, for U+FFFE,
U+FFFF and lone surrogates, produce a file nobody can open again; they are
replaced instead. Text longer than an xlsx cell holds is refused: Excel would
cut it off without a word, and a cut legal basis misstates the law.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import (  # type: ignore[import-untyped]
    ILLEGAL_CHARACTERS_RE,
    Cell,
    WriteOnlyCell,
)

MAX_CELL_TEXT = 32_767  # characters (UTF-16 code units, as Excel counts them) in one xlsx cell
REPLACEMENT = "\ufffd"
# openpyxl checks only the C0 controls; these pass its check but are not XML either.
_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")
_UNWRITABLE = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|{_NOT_XML.pattern}")
# A spreadsheet program reads a CSV field starting with one of these as a formula.
_CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CellTooLong(ValueError):
    """A text longer than an xlsx cell holds. ``where`` names the item and column when known."""

    def __init__(self, length: int, where: str = "") -> None:
        self.length = length
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}the text is {length:,} characters long; an xlsx cell holds at most "
            f"{MAX_CELL_TEXT:,}, and Excel would cut the rest off. Shorten it before exporting."
        )


def _utf16_length(value: str) -> int:
    # Characters outside the BMP (rare CJK extensions, emoji) take two of Excel's characters.
    return len(value) + sum(1 for char in value if ord(char) > 0xFFFF)


def xlsx_text(value: str) -> str:
    """``value`` as an xlsx cell can hold it: unwritable characters replaced by U+FFFD.

    Raises CellTooLong (a ValueError) for text longer than 32,767 characters.
    """
    # One search first: nearly every text is clean, and two substitutions would copy it twice.
    text = _UNWRITABLE.sub(REPLACEMENT, value) if _UNWRITABLE.search(value) else value
    # len() is a lower bound of the UTF-16 length and at least half of it: count only when it matters.
    if len(text) > MAX_CELL_TEXT // 2:
        length = _utf16_length(text)
        if length > MAX_CELL_TEXT:
            raise CellTooLong(length)
    return text


def _bind(cell: Any, value: object) -> None:
    if isinstance(value, str):
        # str() drops subclasses such as StrEnum members, which openpyxl does not know.
        cell.value = xlsx_text(str(value))
        # Assigning a str starting with "=" made it a formula (and "#N/A" an error): make it text again.
        cell.data_type = "s"
    else:
        cell.value = value


def write_cell(ws: Any, row: int, column: int, value: object) -> Cell:
    """Write ``value`` into a normal-mode worksheet; strings always as text, other values typed."""
    cell = ws.cell(row=row, column=column)
    _bind(cell, value)
    return cell


def text_row(ws: Any, values: Iterable[object]) -> list[Cell | None]:
    """A row for ``WriteOnlyWorksheet.append`` in which every string is written as text.

    Numbers and dates get their own cells too: write-only append assigns a plain
    value that follows a given cell into that same cell object, carrying its
    style over. The worksheet is needed for dates (its workbook's epoch) and
    styles. None leaves the cell empty.
    """
    row: list[Cell | None] = []
    for value in values:
        if value is None:
            row.append(None)
            continue
        cell = WriteOnlyCell(ws)
        _bind(cell, value)
        row.append(cell)
    return row


def csv_safe(value: object) -> str:
    """``value`` as CSV text that a spreadsheet program will not run as a formula.

    Real numbers are left alone: ``-5`` typed as a number is data, and a quote
    would turn it into text in the spreadsheet.
    """
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return text
    if text.startswith(_CSV_FORMULA_STARTS):
        return "'" + text
    return text
