"""Every JSON error of hub and node outside `/sync/v1` goes through ``problem_body``.

A database that fails under a request (the disk is full, the file cannot be opened) is
told as our error too, not a 500: a problem for the API, a page in Chinese for a person.
Its transaction rolled back, so nothing of the change was written.
"""
from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from sync.database_errors import FAILURES, database_unusable, disk_full_os_error
from sync.errors import Code, HallsyncError, problem_body

# What a person reads when the site's storage fails them (the API says it in its detail).
STORAGE_MESSAGES = {
    Code.STORAGE_FULL: "本机磁盘空间已满，刚才的操作没有保存，已有数据完好。请联系管理员清理磁盘空间后重试。",
    Code.DATABASE_DAMAGED: "本机数据库文件已损坏，刚才的操作没有保存。请联系管理员从备份恢复。",
    Code.DATABASE_UNAVAILABLE: "暂时无法访问本机数据库，刚才的操作没有保存。请稍后重试或联系管理员。",
}


def problem_response(error: HallsyncError):
    return jsonify(problem_body(error)), error.status


def _storage_failed(error: BaseException):
    mapped = database_unusable(error) or disk_full_os_error(error)
    if mapped is None:
        raise error  # a bug in our own query: Flask's 500, with its traceback in the log
    if request.path.startswith("/api/") or not request.accept_mimetypes.accept_html:
        return problem_response(mapped)
    page = current_app.jinja_env.get_template("storage_problem.html")
    return page.render(**_frame_context(), text=STORAGE_MESSAGES[mapped.code],
                       code=mapped.code.value), mapped.status


def _frame_context() -> dict:
    """The frame's names and sections as far as they can be had: the context processors read
    the database that just failed, so each one that fails again is left out."""
    context = {"site_name": "政务服务中心", "sections": []}
    for processor in current_app.template_context_processors[None]:
        try:
            context.update(processor())
        except (*FAILURES, OSError):
            continue
    return context


def init_app(app: Flask) -> None:
    app.register_error_handler(HallsyncError, problem_response)
    for failure in (*FAILURES, OSError):
        app.register_error_handler(failure, _storage_failed)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = Code.NOT_FOUND if error.code == 404 else Code.VALIDATION_FAILED
        return problem_response(HallsyncError(error.description or error.name, code=code,
                                              status=error.code))
