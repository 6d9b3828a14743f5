"""Settings: one table, env and files parsed by type, errors name the field."""
import pytest

from node.settings import NODE
from sync.errors import ConfigError
from sync.settings import resolve


def test_order_defaults_file_env_overrides(tmp_path):
    config = tmp_path / "node.toml"
    config.write_text('push_interval_s = 7\njitter_s = 1\n')
    values = resolve(NODE, {"config_file": str(config), "jitter_s": 2},
                     environ={"HALLSYNC_PUSH_INTERVAL_S": "9", "HALLSYNC_PUSH_BATCH": "10"})
    assert values["push_interval_s"] == 9.0 and values["jitter_s"] == 2.0
    assert values["push_batch"] == 10 and values["backoff_cap_s"] == 900.0


@pytest.mark.parametrize("overrides, environ, field", [
    ({"push_interval_s": 0}, {}, "push_interval_s"),
    ({}, {"HALLSYNC_PUSH_BATCH": "many"}, "push_batch"),
    ({}, {"HALLSYNC_CLOCK_SKEW_S": "-5"}, "clock_skew_s"),
])
def test_bad_values_name_the_field(overrides, environ, field):
    with pytest.raises(ConfigError) as info:
        resolve(NODE, overrides, environ=environ)
    assert info.value.field == field and str(info.value).startswith(f"{field}:")


def test_unknown_key_in_file_is_named(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("push_intervall_s = 3\n")
    with pytest.raises(ConfigError) as info:
        resolve(NODE, {"config_file": str(config)}, environ={})
    assert info.value.field == "push_intervall_s"
