"""The hub's settings (shared ones are in ``sync.settings``)."""
import os

from hub.sms.policy import quiet_hours_reason
from sync.settings import (CITIZEN, LOGIN, PUBLIC, SHARED, Setting, non_negative, port_number,
                           positive)

HUB = SHARED + LOGIN + PUBLIC + CITIZEN + [
    Setting("data_dir", "", "The hub's data directory: its key, and its SQLite file by default."),
    Setting("database_url", "", "sqlite:///… (default: hub.db in data_dir) or postgresql://…"),
    Setting("host", "127.0.0.1", "Address the hub listens on."),
    Setting("port", 8700, "Port the hub listens on.", port_number),
    Setting("workers", os.cpu_count() or 2, "Worker processes of the hub's HTTP server.",
            positive),
    # Many: a worker writes the sync rounds waiting on its threads together, one
    # transaction and one apply for all (hub.ledger.rounds), so more of them, larger groups.
    Setting("threads", 16, "Threads in each worker process.", positive),
    Setting("city_node_dir", "", "The data directory of the city center's own node (enrolled as "
            "the hub's code): the city's departments work on it at /city/ of the hub's site; "
            "empty: not served."),
    Setting("enroll_token_ttl_s", 24 * 3600, "How long an enrollment token stays usable.",
            positive),
    Setting("max_concurrent_syncs", 32,
            "Sync requests handled at once; beyond it the hub answers 503 + Retry-After.",
            positive),
    Setting("busy_retry_after_s", 30, "Base of the Retry-After the hub sends when busy.",
            positive),
    Setting("pull_batch", 500, "Most messages one pull returns.", positive),
    Setting("max_events_per_push", 20000, "Most events one push may carry.", positive),
    Setting("coverage_yellow_after_s", 300,
            "A center silent this long turns yellow and opens a `silent` alert.", positive),
    Setting("coverage_red_after_s", 1800, "A center silent this long turns red.", positive),
    Setting("coverage_backlog_rising_s", 900,
            "A center whose backlog has grown this long turns yellow.", positive),
    Setting("coverage_auth_failures", 3,
            "Refused signatures of one center within 15 minutes that turn it red.", positive),
    Setting("coverage_interval_s", 60, "How often the hub evaluates coverage alerts (once per "
            "interval across all its workers and instances).", positive),
    Setting("nonce_cleanup_interval_s", 60, "How often the hub forgets nonces too old to be "
            "accepted anyway (once per interval across all its workers and instances).",
            positive),
    Setting("handoff_ack_alert_s", 4 * 3600,
            "A handoff not taken over by its handling center this long opens an alert.",
            positive),
    Setting("handoff_due_warning_days", 2,
            "A handed-off case this many working days or fewer from its promised day opens "
            "an alert for its handling center (and once overdue).", non_negative),
    Setting("sms_gateway_url", "", "The SMS provider's API, the city's one gateway account "
            "(empty: messages wait in the queue and none is sent)."),
    Setting("sms_access_key_id", "", "The gateway account's access key id."),
    Setting("sms_access_key_secret", "", "The gateway account's secret: signs each request and "
            "checks the provider's delivery reports (no default)."),
    Setting("sms_sign_name", "沈阳政务服务", "The approved signature (签名) every message carries."),
    Setting("sms_interval_s", 5.0, "How often each worker runs a sending round.", positive),
    Setting("sms_batch", 200, "Most messages one sending round takes.", positive),
    Setting("sms_concurrency", 8, "Requests to the gateway at once within a round.", positive),
    Setting("sms_timeout_s", 5.0, "Timeout of one request to the gateway; a send without an "
            "answer is asked about at the gateway after twice this, never resent blind.",
            positive),
    Setting("sms_per_number_hour", 5, "Most messages one number gets in an hour (verification "
            "codes included); more wait.", positive),
    Setting("sms_per_number_day", 10, "Most messages one number gets in 24 hours.", positive),
    Setting("sms_quiet_hours", "22:00-08:00", "China time when no message but a verification "
            "code is sent (they wait for its end; empty: none).", quiet_hours_reason),
    Setting("sms_receipt_wait_s", 600, "A sent message without a delivery report this long is "
            "asked about at the gateway (a report may be lost).", positive),
]
