"""The hub's server (gunicorn workers): each worker tunes its GC, then runs its start hook."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import requests

from sync.serve import GC_THRESHOLDS
from tests.processes import (ROOT, START_TIMEOUT, child_env, free_port, stop,
                             wait_until_answers)

APP = textwrap.dedent("""
    import gc, sys
    from flask import Flask, jsonify
    from sync.serve import serve

    def factory():
        app = Flask("probe")
        app.config["hook_ran"] = False

        @app.get("/gc")
        def report():
            return jsonify(thresholds=gc.get_threshold(), frozen=gc.get_freeze_count(),
                           hook_ran=app.config["hook_ran"])
        return app

    def hook(app):
        app.config["hook_ran"] = True

    serve(factory, host="127.0.0.1", port=int(sys.argv[1]), workers=1, threads=1,
          post_worker_init=hook)
""")


def test_a_worker_freezes_its_app_out_of_collections_and_runs_its_hook():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", APP, str(port)], env=child_env(), cwd=ROOT,
                            stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/gc"
        wait_until_answers(url, proc, START_TIMEOUT)
        report = requests.get(url, timeout=5).json()
    finally:
        stop(proc)
    assert report["hook_ran"] is True
    assert tuple(report["thresholds"]) == GC_THRESHOLDS
    assert report["frozen"] > 10_000  # Flask and the modules it loaded
