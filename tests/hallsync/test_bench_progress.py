"""``hallsync bench progress``: loads cases with their logs, gives a sample real query
codes, times right and wrong codes and unknown numbers, and ends with its JSON line."""
from __future__ import annotations

import json

from click.testing import CliRunner


def test_the_command_times_the_progress_query_and_reuses_its_load(tmp_path):
    from hallsync.cli import cli
    args = ["bench", "progress", "--cases", "3000", "--sample", "6",
            "--data-dir", str(tmp_path / "bench"), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    assert (line["cases"], line["sample"]) == (3000, 6) and line["p95_ms"] > 0
    assert set(line) >= {"right_code", "wrong_code", "unknown_number", "load_seconds"}
    again = json.loads(CliRunner().invoke(cli, [*args, "--guesses", "300"]).output.strip()
                       .splitlines()[-1])
    assert again["load_seconds"] is None  # the load of 3,000 is reused
    # 300 addresses guessing one case: nothing found, and every answer the unknown number's.
    assert {k: again["guessing"][k] for k in ("guesses", "found", "answers")} == {
        "guesses": 300, "found": 0, "answers": 1}
