"""One table of settings: each declared once, with its default and help.

Load order (the same for hub and node): defaults → the TOML file named by
``config_file`` → ``HALLSYNC_<NAME>`` environment variables → the dict a caller
(a test, a CLI flag) passes in. ``resolve()`` returns a plain dict and raises
``ConfigError`` naming the first bad field.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from typing import Any, Callable

from sync.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    check: Callable[[Any], str | None] | None = None  # returns a reason when invalid

    @property
    def env_var(self) -> str:
        return "HALLSYNC_" + self.name.upper()

    def parse(self, raw: Any) -> Any:
        """Parse a value (from env or TOML) to the type of the default."""
        kind = type(self.default)
        if raw is None or isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
            return raw
        try:
            if kind is bool:
                text = str(raw).strip().lower()
                if text in ("1", "true", "yes", "on"):
                    return True
                if text in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            if kind in (int, float, str):
                return kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(self.name, raw, f"must be {kind.__name__}") from None
        return raw


def positive(value) -> str | None:
    return None if value > 0 else "must be > 0"


def non_negative(value) -> str | None:
    return None if value >= 0 else "must be >= 0"


def port_number(value) -> str | None:
    # Checked here, not by the socket: its OverflowError would be a traceback at start.
    return None if 0 <= value <= 65535 else "must be a TCP port, 0 to 65535"


SHARED = [
    Setting("config_file", "", "A TOML file with more settings (read after the defaults)."),
    Setting("clock_skew_s", 300, "Largest allowed difference between a message's time and ours.",
            positive),
    Setting("max_body_bytes", 8 * 1024 * 1024,
            "Largest compressed body a sync request or reply may carry.", positive),
    Setting("max_inflated_bytes", 64 * 1024 * 1024,
            "Largest body after decompression (guards against zip bombs).", positive),
    Setting("http_timeout_s", 30.0, "Timeout of one sync HTTP request.", positive),
]


def long_secret(value) -> str | None:
    # A short key makes forged session cookies guessable; empty means "generate one".
    return None if value == "" or len(value) >= 32 else "must be empty or at least 32 characters"


# Staff logins, the same rules at a node and at the hub.
LOGIN = [
    Setting("secret_key", "", "Signs staff session cookies and CSRF tokens; when empty, a random "
            "key is generated once into DATA_DIR/secret.key (never a default in code).",
            long_secret),
    Setting("session_timeout_s", 1800, "A staff login ends after this many idle seconds.",
            positive),
    Setting("login_max_failures", 5, "Failed logins per username and address before a lockout.",
            positive),
    Setting("login_lockout_s", 900, "Window those failures count in, and how long the lockout "
            "lasts.", positive),
]


# The public pages (no login): how often one client may ask before it is told to wait.
PUBLIC = [
    Setting("progress_max_queries", 10, "Progress queries (进度查询) one client address may make "
            "per window; more get 429 until the window ends.", positive),
    Setting("progress_window_s", 60, "The window those queries count in, in seconds.", positive),
]

# Citizens' logins (a mobile number, a one-time SMS code, the ID number), at a node and the hub.
CITIZEN = [
    Setting("citizen_code_ttl_s", 300, "A citizen's SMS verification code expires after this.",
            positive),
    Setting("citizen_code_resend_s", 60, "Least seconds between two codes to one number.",
            positive),
    Setting("citizen_codes_per_day", 10, "Most codes one number gets in 24 hours.", positive),
    Setting("citizen_codes_per_address_hour", 20, "Most codes asked from one address in an hour.",
            positive),
    Setting("citizen_code_max_tries", 5, "Wrong entries that void a code.", positive),
    Setting("citizen_session_timeout_s", 1800, "A citizen's login ends after this many idle "
            "seconds.", positive),
    Setting("appointment_hold_s", 600, "网上预约: a place is kept this long while the citizen "
            "fills in the booking form, then given back.", positive),
]


def resolve(table: list[Setting], overrides: dict | None = None,
            environ: dict | None = None) -> dict:
    """Defaults → config file → environment → overrides; validated."""
    environ = os.environ if environ is None else environ
    overrides = {k.lower(): v for k, v in (overrides or {}).items()}
    by_name = {s.name: s for s in table}
    values = {s.name: s.default for s in table}

    # An explicit override wins even when empty: the hub's city node must not read the hub's file.
    config_file = (overrides["config_file"] if "config_file" in overrides
                   else environ.get("HALLSYNC_CONFIG_FILE", ""))
    if config_file:
        try:
            with open(config_file, "rb") as fh:
                from_file = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError("config_file", config_file, f"cannot be read: {exc}") from None
        for key, raw in from_file.items():
            if key not in by_name:
                raise ConfigError(key, raw, f"is not a setting (in {config_file})")
            values[key] = by_name[key].parse(raw)
    for setting in table:
        if setting.env_var in environ:
            values[setting.name] = setting.parse(environ[setting.env_var])
    for key, raw in overrides.items():
        if key in by_name:
            values[key] = by_name[key].parse(raw)
    for setting in table:
        if setting.check is not None and values[setting.name] is not None:
            reason = setting.check(values[setting.name])
            if reason:
                raise ConfigError(setting.name, values[setting.name], reason)
    return values
