"""Tables as Excel workbooks (.xlsx, through openpyxl): what staff open in a spreadsheet
program without a character-set question, numbers kept as numbers."""
from __future__ import annotations

import io

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(rows: list[list], *, title: str, filename: str) -> Response:
    """``rows`` (the first the header) as a one-sheet workbook to download."""
    # Imported here: openpyxl is a tenth of a second of every hub process's start (and of
    # every ``hallsync hub`` command's), for the few that export.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit for a sheet's name
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
