"""``hub/openapi.json`` describes exactly the hub's /api/ routes, and real answers fit it."""
from __future__ import annotations

import json
import re

from hub.app import create_app
from hub.views.stats_api import OPENAPI
from tests.openapi_check import Schemas
from tests.staff import hub_staff

DOC = json.loads(OPENAPI.read_text(encoding="utf-8"))


SCHEMAS = Schemas(DOC)
resolve, check = SCHEMAS.resolve, SCHEMAS.check


def test_every_api_route_is_documented_and_nothing_else(tmp_path):
    app = create_app({"data_dir": str(tmp_path / "hub"), "TESTING": True})
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert found == {(path, method) for path, item in DOC["paths"].items() for method in item}


def test_the_document_is_served_and_its_references_resolve(tmp_path):
    client = create_app({"data_dir": str(tmp_path / "hub"), "TESTING": True}).test_client()
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.get_json() == DOC
    for target in re.findall(r'"\$ref": "#/([^"]+)"', OPENAPI.read_text(encoding="utf-8")):
        resolve({"$ref": f"#/{target}"})


def test_stats_answers_and_problems_fit_their_schemas(tmp_path):
    app = create_app({"data_dir": str(tmp_path / "hub"), "TESTING": True})
    client = hub_staff(app, "auditor", ["auditor"]).client
    stats = DOC["paths"]["/api/stats"]["get"]["responses"]
    for url, status in [("/api/stats?center=210102&period=year&date=2026", 200),
                        ("/api/stats?period=month&date=2026-13", 422),
                        ("/api/stats?center=999", 404)]:
        answer = client.get(url)
        assert answer.status_code == status
        check(resolve(stats[str(status)])["content"]["application/json"]["schema"],
              answer.get_json(), url)
    catalog = client.get("/api/catalog")
    check(resolve(DOC["paths"]["/api/catalog"]["get"]["responses"]["200"])
          ["content"]["application/json"]["schema"], catalog.get_json())
