"""Booking a slot's places (网上预约), the same at the hub and at a node, without Flask.

Each site books only its side's places of a slot (``sync.appointments.places``)
in its own ``Appointment`` table (``web.appointment_models``). A place is taken
by writing its key into the unique ``place_key`` column, inside a savepoint:
two bookings of one place cannot both commit, so overbooking is prevented by
the database, never by a count read before the write. Giving a place up
(cancelling, a hold running out, moving to another slot) clears the key.

A hold keeps a place while the citizen fills in the form; it runs out after
``appointment_hold_s``, and a hold that ran out is released before anyone counts
or takes a slot's places, so an abandoned form never keeps one.
"""
from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Callable

from peewee import IntegrityError, fn

from sync import appointments, case_clock
from sync.appointments import Slot
from sync.errors import Code, ConflictError, NotFound, ValidationError

FULL = "slot: 该时段已约满，请选择其他时段"


def new_id(day: datetime.date) -> str:
    """预约号: the slot's day and 8 random hex digits, unguessable and never reused."""
    return f"YY{day.strftime('%Y%m%d')}{secrets.token_hex(4).upper()}"


def _quiet(row) -> None:
    pass


@dataclass
class Bookings:
    """One center's appointments at one site: the site's table, its side of each slot, how
    it announces a booking or a move by SMS (a node writes it into its outbox; the hub
    queues it) and whom it tells of every change (the hub tells the center). Both are
    called inside the transaction that makes the change."""

    model: type
    side: str  # sync.appointments.SIDES
    center: str
    announce: Callable[[object], None]
    changed: Callable[[object], None] = _quiet

    @property
    def _db(self):
        return self.model._meta.database

    # -- reading ---------------------------------------------------------------------

    def taken(self, keys: list[str], now_ms: int) -> dict[str, int]:
        """This side's occupied places per slot key, a hold that ran out not counted."""
        m = self.model
        if not keys:
            return {}
        return dict(m.select(m.slot, fn.COUNT(m.id)).where(
            (m.center == self.center) & m.slot.in_(keys) & m.place_key.is_null(False)
            & ~((m.state == "held") & (m.hold_expires_ms < now_ms)))
            .group_by(m.slot).tuples())

    def free(self, found: list[Slot], percent: int, now_ms: int) -> list[dict]:
        """The slots with this side's places still free, in one query."""
        taken = self.taken([s.key for s in found], now_ms)
        listed = []
        for slot in found:
            mine = len(appointments.places(self.side, slot.capacity, percent))
            listed.append({"slot": slot.key, "date": slot.day.isoformat(),
                           "weekday": "一二三四五六日"[slot.day.weekday()], "start": slot.start,
                           "end": slot.end, "window": slot.window,
                           "window_name": slot.window_name,
                           "free": max(0, mine - taken.get(slot.key, 0))})
        return listed

    def get(self, number: str, citizen=None):
        """An appointment; with ``citizen``, only that citizen's.

        :raises NotFound: no such appointment (or another person's).
        """
        m = self.model
        row = m.get_or_none((m.id == number) & (m.center == self.center))
        if row is None or (citizen is not None and (row.phone, row.id_code) != (
                citizen.phone, citizen.id_code)):
            raise NotFound("没有该预约")
        return row

    def of_citizen(self, citizen) -> list:
        m = self.model
        return list(m.select().where((m.center == self.center) & (m.phone == citizen.phone)
                                     & (m.id_code == citizen.id_code) & (m.state != "expired"))
                    .order_by(m.day.desc(), m.start.desc()).limit(100))

    def of_day(self, day: datetime.date) -> list:
        """The day's appointments at this center, by time and window (the clerk's list)."""
        m = self.model
        return list(m.select().where((m.center == self.center) & (m.day == day.isoformat())
                                     & m.state.in_(
            ("booked", "arrived", "no_show", "cancelled"))).order_by(m.start, m.window, m.place))

    # -- taking and giving up places -------------------------------------------------

    def release_expired(self, now_ms: int, slot: str | None = None) -> int:
        """Give up the places of holds that ran out (of one slot, or all); how many."""
        m = self.model
        query = m.update(state="expired", place_key=None, changed_ms=now_ms).where(
            (m.center == self.center) & (m.state == "held") & (m.hold_expires_ms < now_ms))
        if slot is not None:
            query = query.where(m.slot == slot)
        return query.execute()

    def _take(self, slot: Slot, percent: int, now_ms: int, write: Callable[[int], None]) -> int:
        """Write the first free place of ``slot`` on this side; the place.

        :raises ConflictError: ``SLOT_FULL``.
        """
        m = self.model
        self.release_expired(now_ms, slot.key)
        occupied = {p for (p,) in m.select(m.place).where(
            (m.center == self.center) & (m.slot == slot.key)
            & m.place_key.is_null(False)).tuples()}
        for place in appointments.places(self.side, slot.capacity, percent):
            if place in occupied:
                continue
            try:
                with self._db.atomic():  # a savepoint: a lost race tries the next place
                    write(place)
                return place
            except IntegrityError:
                continue
        raise ConflictError(FULL, code=Code.SLOT_FULL, field="slot")

    def hold(self, slot: Slot, percent: int, matter: dict, citizen, now_ms: int,
             hold_s: int):
        """Keep a place of ``slot`` for ``citizen`` while the form is filled in."""
        _check_ahead(slot, now_ms)
        number = new_id(slot.day)

        def write(place: int) -> None:
            self.model.create(
                id=number, center=self.center, slot=slot.key, day=slot.day.isoformat(),
                start=slot.start, window=slot.window, place=place,
                place_key=appointments.place_key(self.center, slot.key, place),
                matter_code=matter["basic_code"], matter_name=matter["name"],
                phone=citizen.phone, id_code=citizen.id_code, state="held",
                hold_expires_ms=now_ms + hold_s * 1000, created_ms=now_ms, changed_ms=now_ms,
                side=self.side)

        with self._db.atomic():
            self._take(slot, percent, now_ms, write)
        return self.get(number)

    def confirm(self, number: str, citizen, name: str, now_ms: int):
        """Book a held place under the applicant's name; announced in the same transaction.

        :raises ConflictError: ``HOLD_EXPIRED``: the hold ran out (its place may be gone).
        """
        name = str(name or "").strip()
        if not 0 < len(name) <= 60:
            raise ValidationError("name: 请填写预约人姓名", field="name")
        m = self.model
        self.get(number, citizen)
        with self._db.atomic():
            done = m.update(state="booked", name=name, hold_expires_ms=None,
                            changed_ms=now_ms).where(
                (m.id == number) & (m.state == "held") & (m.hold_expires_ms >= now_ms)).execute()
            if not done:
                raise ConflictError("hold: 预约保留已超时，请重新选择时段",
                                    code=Code.HOLD_EXPIRED, field="hold")
            booked = self.get(number)
            self.announce(booked)
            self.changed(booked)
        return booked

    def book(self, slot: Slot, percent: int, matter: dict, citizen, name: str, now_ms: int,
             hold_s: int):
        """Hold and confirm at once, in one transaction: the citizen's API, and the clerk
        booking for a caller (phone or walk-in)."""
        with self._db.atomic():
            held = self.hold(slot, percent, matter, citizen, now_ms, hold_s)
            return self.confirm(held.id, citizen, name, now_ms)

    def cancel(self, number: str, citizen, now_ms: int):
        """Give up a held or booked place before its slot begins."""
        row = self.get(number, citizen)
        if row.state not in ("held", "booked") or _begun(row.day, row.start, now_ms):
            raise ConflictError("state: 该预约已不能取消", field="state")
        m = self.model
        with self._db.atomic():
            m.update(state="cancelled", place_key=None, changed_ms=now_ms).where(
                (m.id == number) & m.state.in_(("held", "booked"))).execute()
            cancelled = self.get(number)
            if row.state == "booked":  # a hold was never told
                self.changed(cancelled)
        return cancelled

    def reschedule(self, number: str, citizen, slot: Slot, percent: int, now_ms: int):
        """Move a booking to another slot of the same matter: the new place is taken and
        the old one given up in one statement, so the booking is never in both or neither.

        :raises ConflictError: ``SLOT_FULL``, or a booking that can no longer be moved.
        """
        row = self.get(number, citizen)
        if row.state != "booked" or _begun(row.day, row.start, now_ms) or slot.key == row.slot:
            raise ConflictError("state: 该预约已不能改约到此时段", field="state")
        _check_ahead(slot, now_ms)
        m = self.model

        def write(place: int) -> None:
            m.update(slot=slot.key, day=slot.day.isoformat(), start=slot.start,
                     window=slot.window, place=place, reminded=False, changed_ms=now_ms,
                     place_key=appointments.place_key(self.center, slot.key, place)).where(
                (m.id == number) & (m.state == "booked")).execute()

        with self._db.atomic():
            self._take(slot, percent, now_ms, write)
            moved = self.get(number)
            self.announce(moved)
            self.changed(moved)
        return moved

    def mark(self, number: str, state: str, now_ms: int):
        """The clerk's record on the day: the applicant came (``arrived``), or did not come
        by the end of the slot's day (``no_show``, only once the slot has begun)."""
        if state not in ("arrived", "no_show"):
            raise ValidationError("state: 只能登记为已到场或未到场", field="state")
        row = self.get(number)
        today = case_clock.china_at_ms(now_ms).date().isoformat()
        if row.state != "booked" or row.day != today or (
                state == "no_show" and not _begun(row.day, row.start, now_ms)):
            raise ConflictError("state: 只能在预约当天登记已预约的到场情况（未到场须在时段开始后）",
                                field="state")
        m = self.model
        m.update(state=state, changed_ms=now_ms).where(
            (m.id == number) & (m.state == "booked")).execute()
        return self.get(number)


def _begun(day: str, start: str, now_ms: int) -> bool:
    """Has the slot of ``day`` (ISO) at ``start`` (HH:MM) begun, in China's time?"""
    at = case_clock.china_at_ms(now_ms)
    return (at.date().isoformat(), at.strftime("%H:%M")) >= (day, start)


def _check_ahead(slot: Slot, now_ms: int) -> None:
    if _begun(slot.day.isoformat(), slot.start, now_ms):
        raise ValidationError("slot: 该时段已开始或已过，请选择其他时段", field="slot")
