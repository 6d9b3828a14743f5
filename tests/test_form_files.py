"""Form files published with the catalog: the hub stores them by digest and names the
digest in the signed version; each node fetches, checks and serves them.

Real processes: ``hallsync hub run``, ``hallsync hub catalog attach-form``, ``hallsync
node sync`` and ``hallsync node run``. A file changed on the hub's disk is refused by
the node (and the page keeps saying 表格文件尚未上传) until the right bytes are there.
"""
from __future__ import annotations

import hashlib

import pytest
import requests

from tests.processes import last_json, node_run

CENTER = "210102"
MATTER, FORM = "SY01001", "forms/SY01001/application.docx"
CONTENT = b"PK\x03\x04 application form of SY01001, version 2"


@pytest.fixture
def node(hub, make_node):
    node_dir = make_node(CENTER)
    node_dir.enroll(hub)
    assert node_dir.sync()["errors"] == []
    return node_dir


def attach(hub, tmp_path, content: bytes = CONTENT, code: str = MATTER, form: str = FORM,
           check: bool = True):
    source = tmp_path / "upload.docx"
    source.write_bytes(content)
    result = hub.cli("catalog", "attach-form", code, form, str(source), "--author",
                     "市政务服务中心 王敏", "--json", check=check)
    return last_json(result) if check else result


def test_a_published_form_reaches_the_node_checked(hub, node, tmp_path):
    published = attach(hub, tmp_path)
    digest = hashlib.sha256(CONTENT).hexdigest()
    assert published["sha256"] == digest and published["version"] == 2
    moved = node.sync()
    assert moved["errors"] == [] and moved["forms"] == [FORM]
    assert (node.data_dir / "forms" / "SY01001" / "application.docx").read_bytes() == CONTENT
    assert node.sync()["forms"] == []  # kept: not fetched again
    with node_run(node.data_dir, tmp_path / "node.log") as node_url:
        page = requests.get(f"{node_url}/catalog/{MATTER}", timeout=10).text
        assert page.count("表格文件尚未上传") == 1  # the sample is still not uploaded
        download = requests.get(f"{node_url}/catalog/forms/SY01001/application.docx",
                                timeout=10)
    assert download.status_code == 200 and download.content == CONTENT
    at_hub = requests.get(f"{hub.url}/catalog/{MATTER}", timeout=10).text
    assert f'/forms/{digest}?name=application.docx' in at_hub
    by_digest = requests.get(f"{hub.url}/forms/{digest}", params={"name": "application.docx"},
                             timeout=10)
    assert by_digest.content == CONTENT and "attachment" in by_digest.headers[
        "Content-Disposition"]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_file_changed_on_the_way_is_refused_until_it_is_right(hub, node, tmp_path):
    digest = attach(hub, tmp_path)["sha256"]
    stored = hub.data_dir / "form-files" / digest
    stored.write_bytes(b"PK\x03\x04 not what was signed")
    refused = node.sync(check=False)
    assert refused.returncode == 1 and "SHA-256" in refused.stdout
    assert not (node.data_dir / "forms" / "SY01001" / "application.docx").exists()
    with node_run(node.data_dir, tmp_path / "node.log") as node_url:
        page = requests.get(f"{node_url}/catalog/{MATTER}", timeout=10).text
    assert page.count("表格文件尚未上传") == 2
    stored.write_bytes(CONTENT)
    assert node.sync()["forms"] == [FORM]


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_bad_uploads_and_addresses_are_clear_errors_and_change_nothing(hub, node, tmp_path):
    for code, form, content, said in [("SY99999", FORM, CONTENT, "不在现行目录中"),
                                      (MATTER, "forms/SY01001/other.docx", CONTENT, "没有表格"),
                                      (MATTER, FORM, b"", "表格文件须为")]:
        result = attach(hub, tmp_path, content, code, form, check=False)
        assert result.returncode != 0 and said in result.stderr + result.stdout
    history = last_json(hub.cli("catalog", "history", "--json"))
    assert [v["version"] for v in history["versions"]] == [1]
    assert requests.get(f"{hub.url}/forms/not-a-digest", timeout=10).status_code == 422
    assert requests.get(f"{hub.url}/forms/{'0' * 64}", timeout=10).status_code == 404
