"""The node's sync status: a page for the center's staff and the same as JSON.

The page reads in Chinese: times are China dates, the last error is said in words (the
sync job's own text is kept under 技术详情 for an administrator), and what needs a person
says who to ask rather than which command to run.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from node import catalog, outbox, store, work_calendar
from node.models import Notice
from web.auth import requires

bp = Blueprint("status", __name__)


def status() -> dict:
    """Center, last seq, acked seq, backlog, catalog and calendar versions, last sync, last
    error."""
    state = store.state()
    last_seq, _ = outbox.last()
    return {"center": state.center, "hub_url": state.hub_url, "key_id": state.key_id,
            "last_seq": last_seq, "acked_seq": state.acked_seq, "backlog": last_seq - state.acked_seq,
            "pull_cursor": state.pull_cursor, "catalog_version": state.catalog_version,
            "catalog_matters": catalog.summary()["matters"],
            "calendar_version": work_calendar.current_version(),
            "last_sync_ok_ms": state.last_sync_ok_ms, "last_error": state.last_error,
            "needs_recovery": state.needs_recovery}


STEPS = {"push": "上传", "pull": "拉取", "heartbeat": "心跳"}


def error_summary(text: str) -> str:
    """The sync job's last error (``push: CODE: detail; …``) as a person reads it."""
    if not text:
        return ""
    steps = [STEPS[s] for s in STEPS if s in text.split(":", 1)[0] or f"{s}:" in text]
    where = f"（{'、'.join(dict.fromkeys(steps))}）" if steps else ""
    if "hub busy" in text or "HUB_BUSY" in text:
        return f"市中心繁忙，本机稍后自动重试{where}"
    if "next try in" in text or "HUB_UNAVAILABLE" in text:
        return f"暂时连不上市中心，本机会自动重试；网络恢复后积压的办件会自动上传{where}"
    return f"市中心拒绝了本机的同步请求，请联系系统管理员{where}"


@bp.get("/api/status")
@requires()
def status_json():
    return jsonify(status())


@bp.get("/")
@requires()
def status_page():
    notices = Notice.select().order_by(Notice.message_id.desc()).limit(20)
    s = status()
    return render_template("status/index.html", s=s, notices=notices,
                           problem=error_summary(s["last_error"]))
