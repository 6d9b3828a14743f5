"""The printable report of a center (``/reports/<period>``), its CSV
(``/api/reports/<period>.csv``) and Excel workbook (``/api/reports/<period>.xlsx``):
``hub.stats.reports`` in the login's scope."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request

from hub.staff import scoped_center
from hub.stats.figures import NOT_AVAILABLE
from hub.stats.reports import (COMPLAINT_LABELS, DAY_LABELS, HEADLINES, PERIODS, article_rows,
                               build, csv_rows, show)
from hub.views.spreadsheets import xlsx_response
from sync.cards import LEVELS
from sync.topology import load_topology
from web.auth import requires

bp = Blueprint("reports", __name__)


def _scoped_args() -> dict:
    return {**request.args.to_dict(), "center": scoped_center(request.args)}


@bp.get("/reports/<period>")
@requires()
def page(period: str):
    """The printable report (of the login's scope unless ``?center=`` names one inside it)."""
    result = build(period, _scoped_args())
    return render_template("reports/report.html", r=result, headlines=HEADLINES,
                           day_labels=DAY_LABELS, show=show, periods=PERIODS,
                           not_available=NOT_AVAILABLE, site_name=load_topology().hub.name,
                           card_levels=LEVELS, complaint_labels=COMPLAINT_LABELS,
                           article_rows=article_rows)


@bp.get("/api/reports/<period>.csv")
@requires()
def as_csv(period: str):
    """The same report as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    result = build(period, _scoped_args())
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer).writerows(csv_rows(result))
    name = f"report-{result['code']}-{period}-{result['from']}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/api/reports/<period>.xlsx")
@requires()
def as_xlsx(period: str):
    """The same table as the CSV, as an Excel workbook (numbers stay numbers)."""
    result = build(period, _scoped_args())
    return xlsx_response(csv_rows(result), title=result["title"],
                         filename=f"report-{result['code']}-{period}-{result['from']}.xlsx")
