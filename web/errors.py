"""Every JSON error of hub and node outside `/sync/v1` goes through ``problem_body``."""
from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from sync.errors import Code, HallsyncError, problem_body


def problem_response(error: HallsyncError):
    return jsonify(problem_body(error)), error.status


def init_app(app: Flask) -> None:
    app.register_error_handler(HallsyncError, problem_response)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = Code.NOT_FOUND if error.code == 404 else Code.VALIDATION_FAILED
        return problem_response(HallsyncError(error.description or error.name, code=code,
                                              status=error.code))
