"""The appointments table, as a base each site binds to its own database (as
``web.citizen_models`` does): the hub's holds the online hall's bookings, a node's
its window's and kiosk's, each side only its own places of a slot
(``sync.appointments``)."""
from __future__ import annotations

from peewee import BigIntegerField, BooleanField, CharField, IntegerField, Model

# held: a place kept while the citizen fills the form, until hold_expires_ms;
# booked; then arrived or no_show (the clerk, on the day), or cancelled; a hold that
# ran out becomes expired. Only held and booked ones occupy a place.
STATES = {"held": "保留中", "booked": "已预约", "arrived": "已到场", "no_show": "未到场",
          "cancelled": "已取消", "expired": "已失效"}
OCCUPYING = ("held", "booked", "arrived", "no_show")


class Appointment(Model):
    id = CharField(primary_key=True, max_length=24)  # 预约号, shown to the citizen
    center = CharField(max_length=16)
    slot = CharField(max_length=32, index=True)       # sync.appointments.slot_key
    day = CharField(max_length=10, index=True)
    start = CharField(max_length=5)
    window = CharField(max_length=8)
    place = IntegerField()
    # The place's key while the appointment occupies it; NULL once it is given up. Unique:
    # two bookings of one place cannot both commit, whatever the timing.
    place_key = CharField(max_length=64, null=True, unique=True)
    matter_code = CharField(max_length=10)
    matter_name = CharField(max_length=200)
    name = CharField(max_length=60, default="")
    phone = CharField(max_length=11, index=True)
    id_code = CharField(max_length=18)
    state = CharField(max_length=10, index=True)
    hold_expires_ms = BigIntegerField(null=True)
    created_ms = BigIntegerField()
    changed_ms = BigIntegerField()
    side = CharField(max_length=8)  # sync.appointments.SIDES: whose places it books
    reminded = BooleanField(default=False)

    class Meta:
        legacy_table_names = False
