"""What hub and node share, and nothing else.

``sync`` is a pure library: the wire protocol (canonical bytes, envelopes,
signatures, the event vocabulary and hash chain, the HTTP client, backoff),
the city's topology, and the domain rules both sides must compute the same
way. It does no Flask: functions take explicit arguments (database, clock,
keys) instead of reading app globals, so the hub, the node, the CLI and the
tests all call the same code. ``tests/sync/test_purity.py`` imports every
module here in a fresh interpreter and checks that ``flask`` was not loaded.
"""
