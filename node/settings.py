"""The node's settings (shared ones are in ``sync.settings``)."""
from sync.settings import SHARED, Setting, non_negative, positive


def long_secret(value) -> str | None:
    # A short key makes forged session cookies guessable; empty means "generate one".
    return None if value == "" or len(value) >= 32 else "must be empty or at least 32 characters"


NODE = SHARED + [
    Setting("data_dir", "", "The node's data directory: node.db, node.key."),
    Setting("host", "127.0.0.1", "Address the node's pages listen on."),
    Setting("port", 8800, "Port the node's pages listen on.", non_negative),
    Setting("push_interval_s", 15.0, "Seconds between scheduled pushes.", positive),
    Setting("pull_interval_s", 30.0, "Seconds between scheduled pulls.", positive),
    Setting("heartbeat_interval_s", 60.0, "Seconds between heartbeats.", positive),
    Setting("jitter_s", 5.0, "Random delay added to each scheduled run.", non_negative),
    Setting("backoff_base_s", 5.0, "First delay after the hub was unreachable.", positive),
    Setting("backoff_cap_s", 900.0, "Longest delay between attempts while the hub is down.",
            positive),
    Setting("push_batch", 5000, "Most events sent in one push.", positive),
    Setting("secret_key", "", "Signs staff session cookies and CSRF tokens; when empty, a random "
            "key is generated once into DATA_DIR/secret.key (never a default in code).",
            long_secret),
    Setting("session_timeout_s", 1800, "A staff login ends after this many idle seconds.",
            positive),
    Setting("login_max_failures", 5, "Failed logins per username and address before a lockout.",
            positive),
    Setting("login_lockout_s", 900, "Window those failures count in, and how long the lockout "
            "lasts.", positive),
    Setting("warning_yellow_days", 2, "A case turns yellow (临近期限) in the window's queue when "
            "at most this many working days remain; red once overdue.", non_negative),
]

# The hub may change these remotely with a settings message; nothing else.
REMOTE = ("push_interval_s", "pull_interval_s", "heartbeat_interval_s", "jitter_s",
          "backoff_base_s", "backoff_cap_s", "push_batch")
