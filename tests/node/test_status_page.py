"""The node's 同步状态 page: in the site's frame, times as China dates, "无" as good news,
the last error in words, and the way back to the window (issue 16)."""
from __future__ import annotations

import datetime
import re

from node.models import NodeState, database
from sync.case_clock import CHINA
from tests.node.test_window import app, seed, staff  # noqa: F401  (fixtures)

SYNCED = datetime.datetime(2026, 11, 30, 16, 5, 9, tzinfo=CHINA)


def page(staff):  # noqa: F811
    return staff("clerk").get("/").get_data(as_text=True)


def set_state(app, **values):  # noqa: F811
    with app.app_context(), database.connection_context():
        NodeState.update(**values).where(NodeState.id == 1).execute()


def test_the_status_page_is_in_the_frame_with_dates_and_a_way_back(app, staff):  # noqa: F811
    set_state(app, last_sync_ok_ms=int(SYNCED.timestamp() * 1000), last_error="")
    html = page(staff)
    assert '<header class="top">' in html and "hallsync.css" in html
    assert "2026-11-30 16:05:09（北京时间）" in html
    assert str(int(SYNCED.timestamp() * 1000)) not in html  # no epoch numbers
    assert '<span class="ok" id="problem">无</span>' in html
    assert re.search(r'<a href="/window/" id="back">', html)


def test_a_sync_error_is_said_in_chinese_and_its_text_kept_for_an_administrator(app, staff):  # noqa: F811
    set_state(app, last_sync_ok_ms=None, needs_recovery=True,
              last_error="push: connection refused; next try in 40 s")
    html = page(staff)
    assert "尚未同步" in html
    problem = re.search(r'<span class="bad" id="problem">(.*?)</span>', html).group(1)
    assert problem.startswith("暂时连不上市中心") and "（上传）" in problem
    assert "技术详情" in html and "connection refused" in html  # inside <details>
    assert "hallsync node" not in html and "请联系系统管理员进行数据恢复" in html


def test_a_refusal_is_not_called_a_network_failure(app, staff):  # noqa: F811
    set_state(app, last_error="heartbeat: KEY_REVOKED: key revoked")
    problem = re.search(r'<span class="bad" id="problem">(.*?)</span>', page(staff)).group(1)
    assert problem == "市中心拒绝了本机的同步请求，请联系系统管理员（心跳）"
