"""The hub's ledger: signed events in (ingest, security, enrollment), applied once (apply,
registry, ownership, records), the signed stream out, the audit of every chain."""
