"""Errors: problem JSON for the API and the sync protocol, a page in the site's frame for
a person.

Every JSON error of hub and node outside `/sync/v1` goes through ``problem_body``. A
request for a page (any path but ``/api/``, ``/sync/``, ``/sms/`` and ``/__heartbeat__``,
unless it asks for JSON only) gets ``error.html`` instead: in Chinese, naming the field to
correct, with the way back. The status and the stable code stay the same either way.

A database that fails under a request (the disk is full, the file cannot be opened) is
told as our error too, not a 500: a problem for the API, a page in Chinese for a person.
Its transaction rolled back, so nothing of the change was written.
"""
from __future__ import annotations

import re

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from sync.database_errors import FAILURES, database_unusable, disk_full_os_error
from sync.errors import Code, HallsyncError, ValidationError, problem_body

MACHINE_PATHS = ("/api/", "/sync/", "/sms/", "/__")  # the SMS gateway posts its reports to /sms/
TITLES = {400: "输入有误", 403: "无权访问", 404: "未找到页面", 405: "不支持的操作",
          409: "无法办理", 413: "提交的内容过大", 422: "输入有误", 429: "操作过于频繁",
          503: "服务暂时不可用"}
# What a person is told when the error's own text is not in Chinese (werkzeug's, mostly).
GENERIC = {400: "请求的内容有误，请检查后重新提交。", 403: "您没有访问此页面的权限。",
           404: "您要找的页面不存在，请检查地址，或从上方的栏目进入。",
           405: "此页面不支持这种操作，请从页面上的按钮或链接进入。",
           409: "当前状态下无法进行此操作，请刷新页面查看最新情况。",
           413: "提交的内容超过了允许的大小，请减少后重新提交。",
           422: "填写的内容有误，请检查后重新提交。", 429: "操作过于频繁，请稍后再试。",
           503: "服务暂时不可用，请稍后再试。"}
# The names of the query and form fields pages send, as the page's labels call them.
FIELD_LABELS = {"date": "日期", "period": "周期", "start": "开始日期", "end": "结束日期",
                "from": "开始日期", "to": "结束日期", "department": "部门", "matter": "事项",
                "center": "中心", "number": "办件编号", "level": "层级", "q": "查询内容",
                "page": "页码", "rank": "排名依据", "show": "显示范围", "sort": "排序", "effective_date": "生效日期"}
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# What a person reads when the site's storage fails them (the API says it in its detail).
STORAGE_MESSAGES = {
    Code.STORAGE_FULL: "本机磁盘空间已满，刚才的操作没有保存，已有数据完好。请联系管理员清理磁盘空间后重试。",
    Code.DATABASE_DAMAGED: "本机数据库文件已损坏，刚才的操作没有保存。请联系管理员从备份恢复。",
    Code.DATABASE_UNAVAILABLE: "暂时无法访问本机数据库，刚才的操作没有保存。请稍后重试或联系管理员。",
}


def json_object() -> dict:
    """The request's JSON body, which must be an object (else 422 naming ``body``)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("body: must be a JSON object", field="body")
    return body


def problem_response(error: HallsyncError):
    return jsonify(problem_body(error)), error.status, _retry_after(error)


def _retry_after(error: HallsyncError) -> dict:
    """``Retry-After`` for an error that says when to ask again (429 ``TooManyRequests``)."""
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(int(seconds))} if seconds is not None else {}


def wants_page() -> bool:
    """A person's page: not the API, the sync protocol or a heartbeat, nor a script that
    asks for JSON only."""
    if request.path.startswith(MACHINE_PATHS):
        return False
    return request.accept_mimetypes.best_match(
        ["text/html", "application/json"]) != "application/json"


def page_message(error: HallsyncError) -> str:
    """The error as a person reads it: the field's label, then the Chinese reason."""
    field = error.extra.get("field") or getattr(error, "field", None)
    detail = error.detail
    if field and detail.startswith(f"{field}: "):
        detail = detail[len(field) + 2:]
    if not _CHINESE.search(detail):
        return GENERIC.get(error.status, GENERIC[400])
    label = FIELD_LABELS.get(field or "")
    return f"{label}：{detail}" if label else detail


def error_page(error: HallsyncError):
    status = error.status
    return render_template("error.html", title=TITLES.get(status, "出错了"),
                           message=page_message(error), status=status,
                           back=request.script_root + request.path), status, _retry_after(error)


def respond(error: HallsyncError):
    return error_page(error) if wants_page() else problem_response(error)


def _storage_failed(error: BaseException):
    mapped = database_unusable(error) or disk_full_os_error(error)
    if mapped is None:
        raise error  # a bug in our own query: Flask's 500, with its traceback in the log
    if not wants_page():
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
    app.register_error_handler(HallsyncError, respond)
    for failure in (*FAILURES, OSError):
        app.register_error_handler(failure, _storage_failed)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = (Code.NOT_FOUND if error.code == 404 else Code.INTERNAL if error.code >= 500
                else Code.VALIDATION_FAILED)
        return respond(HallsyncError(error.description or error.name, code=code,
                                     status=error.code))
