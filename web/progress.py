"""The public progress query (进度查询), the same at every node and at the hub.

``/progress`` (a form; POST, so the query code stays out of addresses and logs) and
``GET /api/progress?number=&code=``. Each site gives its own copy of the case
(``ProgressSource``): a node its cases, the hub the copy its events made; what is
shown is ``sync.progress.public_progress`` of it, so both answer alike.

What the rules guard:

- A wrong code and an unknown number get the same status and the same bytes
  (``PROGRESS_NOT_FOUND``; no attempts left, no request id), after the same work:
  an unknown number is checked against a stand-in hash (``sync.query_hash``).
- Every query counts against the client's throttle (``web.throttle``) before
  anything is looked up: a client over it learns nothing more, and gets 429
  with ``Retry-After`` (a Chinese message on the page).
- One statement reads the case and all its steps, whatever their number.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import orjson
from flask import Blueprint, Flask, current_app, jsonify, render_template, request

from sync import query_hash
from sync.case_numbers import QUERY_ALPHABET, QUERY_LENGTH, case_number, parse_case_number
from sync.envelope import now_ms
from sync.errors import Code, NotFound, TooManyRequests, ValidationError
from sync.progress import NOT_FOUND, public_progress
from web.auth import public
from web.errors import problem_response
from web.throttle import Hit, count_hit

bp = Blueprint("progress", __name__)
EXTENSION = "hallsync.progress"
TOO_MANY = "查询过于频繁，请 {seconds} 秒后再试。"


@dataclass(frozen=True)
class ProgressSource:
    """Where a site finds a case, and how it checks a query code against it.

    ``find(number)``: ``(received, actions)`` of the case in one query, or None.
    ``matches(received or None, code)``: the code is the case's (the same work
    when there is no case).
    """

    find: Callable[[str], tuple[dict, list[dict]] | None]
    hits: type[Hit]
    matches: Callable[[dict | None, str], bool] | None = None

    def check(self, received: dict | None, code: str) -> bool:
        if self.matches is not None:
            return self.matches(received, code)
        return query_hash.code_matches(code, received.get("query_hash") if received else None)


def init_app(app: Flask, source: ProgressSource) -> None:
    app.extensions[EXTENSION] = source
    app.register_blueprint(bp)


def _check_code(code) -> str:
    typed = query_hash.normal_code(code)
    if not typed:
        raise ValidationError("code: 请输入受理回执上的查询码", field="code")
    if len(typed) != QUERY_LENGTH or set(typed) - set(QUERY_ALPHABET):
        raise ValidationError(f"code: 查询码为 {QUERY_LENGTH} 位字母和数字，见受理回执",
                              field="code")
    return typed


def progress_of(number_text, code) -> dict:
    """The case's public progress, after the throttle and the code check.

    :raises TooManyRequests: the client asked too often in this window.
    :raises ValidationError: the number or the code is malformed.
    :raises NotFound: ``PROGRESS_NOT_FOUND``, for a wrong code and an unknown number alike.
    """
    source: ProgressSource = current_app.extensions[EXTENSION]
    settings = current_app.config["HALLSYNC"]
    count_hit(source.hits, "progress", request.remote_addr or "", now_ms(),
              limit=settings["progress_max_queries"], window_s=settings["progress_window_s"],
              message=TOO_MANY)
    number = parse_case_number(number_text if isinstance(number_text, str) else "",
                               field="number")
    typed = _check_code(code)
    found = source.find(case_number(number.center, number.day, number.seq))
    if not source.check(found[0] if found else None, typed):
        raise NotFound(NOT_FOUND, code=Code.PROGRESS_NOT_FOUND)
    return public_progress(*found)


@bp.get("/api/progress")
@public
def progress_json():
    """A case's progress as JSON: ``?number=&code=`` (both from the receipt)."""
    try:
        return jsonify(progress_of(request.args.get("number"), request.args.get("code")))
    except TooManyRequests as error:
        return problem_response(error)  # with its Retry-After


@bp.route("/progress", methods=["GET", "POST"])
@public
def progress_page():
    """The form (the receipt's QR code opens it with the number filled in), and its answer."""
    number = request.values.get("number", "")
    if request.method == "GET":
        return render_template("progress/page.html", number=number, found=None, error="")
    try:
        found = progress_of(number, request.form.get("code"))
    except TooManyRequests as error:
        page = render_template("progress/page.html", number=number, found=None,
                               error=error.detail)
        return page, 429, {"Retry-After": str(error.retry_after)}
    except (ValidationError, NotFound) as error:
        text = error.detail.split(": ", 1)[-1] if isinstance(error, ValidationError) \
            else error.detail
        return render_template("progress/page.html", number=number, found=None,
                               error=text), error.status
    return render_template("progress/page.html", number=number, found=found, error="")


def case_from_rows(rows: list[tuple]) -> tuple[dict, list[dict]] | None:
    """``(received, actions)`` from the rows of a case LEFT JOINed with its actions, in order:
    each row ``(received, n, action, role, user, at, data)``, the action columns None
    for a case with no action yet."""
    if not rows:
        return None
    actions = [{"n": n, "action": action, "role": role, "user": user, "at": at,
                "data": orjson.loads(data)}
               for _received, n, action, role, user, at, data in rows if n is not None]
    return orjson.loads(rows[0][0]), actions
