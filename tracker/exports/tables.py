"""One table as a download: xlsx (write-only, bounded memory) or CSV (UTF-8 with a BOM for Excel).

Every text cell goes through ``powerlists.safecells``: nothing exported is ever a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from powerlists.safecells import csv_safe, text_row

_BOLD = Font(bold=True)


def write_xlsx(
    stream: IO[bytes],
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int] = (),
) -> None:
    """A sheet with a bold, frozen header row, an autofilter and the given column widths."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}1"
    header = text_row(ws, list(headers))
    for cell in header:
        if cell is not None:
            cell.font = _BOLD
    ws.append(header)
    for values in rows:
        ws.append(text_row(ws, list(values)))
    wb.save(stream)


def write_csv(stream: IO[str], headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """CSV with a BOM (Excel reads the Chinese as UTF-8) and formula-safe fields."""
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow([csv_safe(h) for h in headers])
    for values in rows:
        writer.writerow([csv_safe(v) for v in values])


def xlsx_bytes(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int] = ()
) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, title, headers, rows, widths)
    return buffer.getvalue()


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO(newline="")
    write_csv(buffer, headers, rows)
    return buffer.getvalue()
