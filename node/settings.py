"""The node's settings (shared ones are in ``sync.settings``)."""
from sync.settings import (CITIZEN, LOGIN, PUBLIC, SHARED, Setting, non_negative, port_number,
                           positive)


NODE = SHARED + LOGIN + PUBLIC + CITIZEN + [
    Setting("data_dir", "", "The node's data directory: node.db, node.key."),
    Setting("host", "127.0.0.1", "Address the node's pages listen on."),
    Setting("port", 8800, "Port the node's pages listen on.", port_number),
    Setting("push_interval_s", 15.0, "Seconds between scheduled sync rounds (one request "
            "each: the push, and the pull and heartbeat when due).", positive),
    Setting("pull_interval_s", 30.0, "Seconds between pulls (riding along in a sync round).",
            positive),
    Setting("heartbeat_interval_s", 60.0, "Seconds between heartbeats (riding along in a sync "
            "round).", positive),
    Setting("jitter_s", 5.0, "Random delay added to each scheduled run.", non_negative),
    Setting("backoff_base_s", 5.0, "First delay after the hub was unreachable.", positive),
    Setting("backoff_cap_s", 900.0, "Longest delay between attempts while the hub is down.",
            positive),
    Setting("push_batch", 5000, "Most events sent in one push.", positive),
    Setting("warning_yellow_days", 2, "A case turns yellow (临近期限) in the window's queue when "
            "at most this many working days remain; red once overdue.", non_negative),
    Setting("public_url", "", "The online hall's address as citizens reach it (the hub's public "
            "site, e.g. https://zwfw.example.gov.cn): the QR code on receipts opens its "
            "/progress page. Empty: the hub URL the node enrolled with."),
    Setting("receipt_is_acceptance", True, "收件即受理: for a matter another center decides, "
            "the collecting window's acceptance starts the clock before the handoff; false: "
            "the window only collects, and the handling center accepts."),
    Setting("rectification_reply_days", 5, "整改: a bad review's rectification order is due "
            "this many working days after it opens (yellow at 80% of them, red past them); "
            "each order records the value it opened with.", positive),
    Setting("rectification_contact_phone", "12345", "The number the rectification reply SMS "
            "gives the applicant to call (at most 35 characters)."),
    Setting("joint_deemed_consent", False, "Joint approval (联合审批): a department silent past "
            "its deadline is deemed to consent (逾期视为同意, the 2002 joint review rule) when "
            "the approval is closed; when false every department must state its view. Each "
            "close records the value in force, so the hub replays the same rule."),
    Setting("reconsideration_organ", "", "行政复议机关 a refusal letter (不予行政许可决定书) "
            "names for the applicant's right to administrative reconsideration. Empty: the "
            "people's government of the center's district or city (和平区政务服务中心 → "
            "和平区人民政府)."),
]

# The hub may change these remotely with a settings message; nothing else.
REMOTE = ("push_interval_s", "pull_interval_s", "heartbeat_interval_s", "jitter_s",
          "backoff_base_s", "backoff_cap_s", "push_batch")
