"""One node's conversation with the hub: push, pull, heartbeat, recover.

Each step returns what moved and raises hallsync errors; the scheduler and
``hallsync node sync`` decide what to do with them. The ack is recorded only
after the hub's signed reply verified, and compared with our own chain: an
ack that names a hash we do not have means one side was restored from an
older backup, and that is handled here, explicitly, never by skipping.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from node import (appliers, form_files, forwarded_applications, hub_keys, inbox,  # noqa: F401
                  outbox, store, work_calendar)  # (appliers registers the message appliers)
from node.models import KnownKey, OutboxEvent, database
from node.records import LOCAL_EFFECTS
from sync import envelope as env
from sync import events
from sync.client import HubClient
from sync.errors import (Code, HallsyncError, SequenceError, TransportError,
                         error_from_problem)
from sync.faults import crash_point
from sync.signing import KeyPair, PublicKey

APP_VERSION = "0.1.0"


@dataclass
class Moved:
    """What one sync cycle moved, for people and for scripts."""

    pushed: int = 0
    acked_seq: int = 0
    pulled: int = 0
    problems: list = field(default_factory=list)
    heartbeat: bool = False
    forms: list = field(default_factory=list)  # form files fetched (node.form_files)
    uploads: int = 0  # files of applications made at the hub (node.forwarded_applications)
    errors: list = field(default_factory=list)


class Node:
    """A center's node: its data directory, its key, and its client for the hub."""

    def __init__(self, data_dir, settings: dict):
        self.data_dir, self.settings = data_dir, settings
        store.bind(data_dir)
        self.keys: KeyPair = store.load_keys(data_dir)
        state = store.state()
        self.center = state.center
        self.client = HubClient(state.hub_url, center=state.center, keys=self.keys,
                                hub_key=PublicKey.from_b64(state.hub_key),
                                timeout_s=settings["http_timeout_s"],
                                skew_s=settings["clock_skew_s"],
                                max_inflated=settings["max_inflated_bytes"],
                                on_hub_rotation=self._hub_rotated)

    def _hub_rotated(self, new_key: PublicKey, passed: list[PublicKey]) -> None:
        """Pin the hub's new key; keep every earlier one for what they signed (messages and
        catalog versions still waiting in the stream)."""
        hub_keys.pin(new_key, passed)

    def close(self) -> None:
        self.client.close()

    # push ---------------------------------------------------------------------------------
    def push(self, moved: Moved | None = None, *, rounds: int = 100000) -> Moved:
        """Send every unacknowledged event, in seq order, in batches (at most ``rounds``
        requests: a load bench sends one batch a tick)."""
        moved = moved or Moved()
        moved.acked_seq = store.state().acked_seq
        for _ in range(rounds):  # bounded: each round either advances or raises
            state = store.state()
            batch = outbox.pending(state.acked_seq, self.settings["push_batch"], self.center)
            if not batch:
                break
            try:
                reply = self.client.call("push", {"events": batch})
            except SequenceError as exc:
                self._resync_ack(exc)
                continue
            self._acked(reply, state.acked_seq, moved)
        moved.acked_seq = store.state().acked_seq
        return moved

    def _record_ack(self, acked_seq: int, acked_hash: str) -> None:
        last_seq, _ = outbox.last()
        ours = outbox.hash_at(acked_seq) if acked_seq else events.GENESIS
        if acked_seq > last_seq or ours != acked_hash:
            store.update_state(needs_recovery=True)
            raise SequenceError(f"the hub holds event {acked_seq} with hash {acked_hash[:12]}…, "
                                f"which this node does not have (last seq {last_seq}): this "
                                "node was restored from an older backup; run "
                                "`hallsync node recover`", code=Code.NODE_DIVERGED)
        store.update_state(acked_seq=acked_seq, acked_hash=acked_hash,
                           last_sync_ok_ms=env.now_ms(), last_error="")

    def _resync_ack(self, exc: SequenceError) -> None:
        """The hub expects another seq than we would send: move our ack to its head."""
        if exc.code != Code.SEQUENCE_GAP or "head_seq" not in exc.extra:
            if exc.code == Code.NODE_DIVERGED:
                store.update_state(needs_recovery=True)
            raise exc
        # A hub restored from an older backup has fewer events than it once acknowledged:
        # after checking its head is on our chain, we send it the rest again.
        self._record_ack(exc.extra["head_seq"], exc.extra["head_hash"])

    # pull ---------------------------------------------------------------------------------
    def pull(self, moved: Moved | None = None) -> Moved:
        """Apply the hub's messages after our cursor, in order."""
        moved = moved or Moved()
        while True:
            reply = self.client.call("pull", {"since": store.state().pull_cursor})
            if not self._apply_messages(reply, moved):
                return moved

    def _apply_messages(self, reply: dict, moved: Moved) -> bool:
        """Apply one pull's messages; whether the hub has more."""
        trusted = hub_keys.trusted() if reply["messages"] else []
        for message in reply["messages"]:
            try:
                inbox.apply_message(message, keys=self.keys, center=self.center,
                                    hub_keys=trusted, now_ms=env.now_ms())
            except HallsyncError as exc:
                inbox.record_refusal(message, exc, env.now_ms())
                raise
            moved.pulled += 1
        return bool(reply.get("more"))

    # form files -------------------------------------------------------------------------
    def forms(self, moved: Moved | None = None) -> Moved:
        """Fetch the catalog's form files not yet here; a refused one is an error to show."""
        moved = moved or Moved()
        done = form_files.fetch_missing(self.data_dir, self.client.hub_url,
                                        self.settings["http_timeout_s"])
        moved.forms += done["fetched"]
        if done["refused"]:
            raise HallsyncError("form files refused: " + "; ".join(done["refused"]),
                                code=Code.DIGEST_MISMATCH, status=502)
        return moved

    # files of applications made at the hub ----------------------------------------------
    def uploads(self, moved: Moved | None = None) -> Moved:
        moved = moved or Moved()
        moved.uploads += forwarded_applications.fetch_files(self.data_dir, self.client)
        return moved

    # heartbeat ----------------------------------------------------------------------------
    def heartbeat(self, moved: Moved | None = None) -> Moved:
        moved = moved or Moved()
        state = store.state()
        reply = self.client.call("heartbeat", self._heartbeat_body(state))
        self._heartbeat_answered(reply, state.acked_seq, moved)
        return moved

    def _heartbeat_body(self, state) -> dict:
        last_seq, _ = outbox.last()
        return {"app_version": APP_VERSION, "catalog_version": state.catalog_version,
                "calendar_version": work_calendar.current_version(),
                "backlog": outbox.backlog(state.acked_seq, last_seq), "last_seq": last_seq,
                "acked_seq": state.acked_seq,
                "clock_ms": env.now_ms(), "last_error": state.last_error}

    def _heartbeat_answered(self, reply: dict, acked_seq: int, moved: Moved) -> None:
        """``acked_seq``: our ack when the heartbeat was sent."""
        if reply.get("recover"):
            store.update_state(needs_recovery=True)
        moved.heartbeat = True
        if not reply.get("recover") and reply["head_seq"] < acked_seq:
            # The hub was restored from an older backup and lost events it had
            # acknowledged: move our ack back to its head (on our chain) and resend.
            self._record_ack(reply["head_seq"], reply["head_hash"])
            self.push(moved)

    # exchange -----------------------------------------------------------------------------
    def exchange(self, moved: Moved | None = None, *, pull: bool = True,
                 heartbeat: bool = True, drain: bool = True) -> Moved:
        """A sync round in one request (``/sync/v1/exchange``): the heartbeat, a batch of
        the events the hub has not acknowledged, the pull. With ``drain``, what did not fit
        (more events, more messages) follows in ``/push`` and ``/pull`` requests; without,
        it waits for the next round.

        A refused push is raised once the pull's messages are applied and the heartbeat's
        answer handled: the hub answered those all the same.
        """
        moved = moved or Moved()
        state = store.state()
        body = {"heartbeat": self._heartbeat_body(state)} if heartbeat else {}
        batch = outbox.pending(state.acked_seq, self.settings["push_batch"], self.center)
        if batch:
            body["push"] = {"events": batch}
        if pull:
            body["pull"] = {"since": state.pull_cursor}
        if not body:
            return moved
        reply = self.client.call("exchange", body)
        refused = self._push_answered(reply["push"], state.acked_seq, moved) \
            if batch else None
        more_messages = pull and self._apply_messages(reply["pull"], moved)
        if heartbeat:
            self._heartbeat_answered(reply["heartbeat"], state.acked_seq, moved)
        if refused is not None:
            raise refused
        if drain:
            self.push(moved)
            if more_messages:
                self.pull(moved)
        return moved

    def _push_answered(self, answer: dict, acked_seq: int, moved: Moved):
        """Record the ack of an exchange's push. Its refusal is returned, to raise when the
        rest is done; None when it was acknowledged, or only found our ack behind the hub's
        head (moved there, as ``push`` does)."""
        if "problem" in answer:
            refusal = error_from_problem(answer["problem"], answer["problem"].get("status", 400))
            try:
                if not isinstance(refusal, SequenceError):
                    return refusal
                self._resync_ack(refusal)
            except HallsyncError as exc:
                return exc
            return None
        self._acked(answer, acked_seq, moved)
        moved.acked_seq = answer["acked_seq"]
        return None

    def _acked(self, answer: dict, acked_seq: int, moved: Moved) -> None:
        """Record a push's ack (``acked_seq``: ours when it was sent)."""
        crash_point("node.after_push_reply")
        self._record_ack(answer["acked_seq"], answer["acked_hash"])
        moved.pushed += max(0, answer["acked_seq"] - acked_seq)
        moved.problems.extend(answer.get("problems", []))

    def cycle(self) -> Moved:
        """Push, pull (and push what applying it wrote), heartbeat; errors are collected."""
        moved = Moved()
        for step in (self.push, self.pull, self.push, self.forms, self.uploads, self.heartbeat):
            try:
                step(moved)
            except HallsyncError as exc:
                moved.errors.append(f"{step.__name__}: {exc.code.value}: {exc.detail}")
                if isinstance(exc, TransportError):
                    break  # the hub is unreachable: the other steps would fail the same way
        store.update_state(last_error="; ".join(moved.errors)[:1000])
        if not moved.errors:
            store.update_state(last_sync_ok_ms=env.now_ms())
        return moved

    # recovery -----------------------------------------------------------------------------
    def recover(self) -> dict:
        """Take back from the hub the events this node lost, then rebase unacked local ones.

        After a restore from an older backup, or a re-enrollment with an empty data
        directory, the hub holds events this node does not. They are fetched, checked
        (chain and signatures), and put back; local events the hub never acknowledged
        are renumbered after them, so no sequence number is ever used twice.
        """
        state = store.state()
        fork, fetched = self._fetch_after_common_prefix(state.acked_seq)
        own_keys = {k.key_id: PublicKey.from_b64(k.public_key)
                    for k in KnownKey.select().where(KnownKey.center == self.center)}
        prev_hash = outbox.hash_at(fork - 1) if fork > 1 else events.GENESIS
        fault = events.check_chain(fetched, prev_hash=prev_hash, first_seq=fork, keys=own_keys)
        if fault is not None:
            raise SequenceError(f"the hub's copy of event {fault.seq} is not valid: "
                                f"{fault.reason}", code=Code.CHAIN_BROKEN, seq=fault.seq)
        with database.atomic():
            local = outbox.read(fork - 1, self.center)
            OutboxEvent.delete().where(OutboxEvent.seq >= fork).execute()
            outbox.insert_events(fetched)
            for event in fetched:
                effect = LOCAL_EFFECTS.get(event["type"])
                if effect:
                    effect(event)
            head_seq, head_hash = (fetched[-1]["seq"], fetched[-1]["hash"]) if fetched \
                else outbox.last()
            store.update_state(acked_seq=head_seq, acked_hash=head_hash,
                               needs_recovery=False)
            rebased = outbox.emit_many(self.keys, self.center,
                                       [(e["type"], e["record"], e["payload"], e["created_at"])
                                        for e in local])
        return {"restored": len(fetched), "rebased": len(rebased), "head_seq": head_seq}

    def _fetch_after_common_prefix(self, acked_seq: int) -> tuple[int, list[dict]]:
        """(first seq where we differ from the hub, the hub's events from there on)."""
        fetched: list[dict] = []
        from_seq = acked_seq + 1
        while True:
            reply = self.client.call("events", {"from_seq": from_seq})
            fetched.extend(reply["events"])
            if not reply["events"] or fetched[-1]["seq"] >= reply["head_seq"]:
                break
            from_seq = fetched[-1]["seq"] + 1
        fork = acked_seq + 1
        for event in fetched:
            if outbox.hash_at(event["seq"]) != event["hash"]:
                break
            fork += 1
        return fork, [e for e in fetched if e["seq"] >= fork]
