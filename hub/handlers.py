"""The table of contents of the hub's event handlers: importing it registers them all
(``hub.ledger.registry``); the app and the commands that apply events import it."""
# case.received, case.action; joint.opinion; supervision.subscribe; rectification.action;
# consultation.asked, consultation.answered; appointment.plan
from hub.cases import (appointments, consultations, copies, parallel,  # noqa: F401
                       rectifications, supervision)
# record.put, record.delete; message.applied
from hub.ledger import records, stream  # noqa: F401
# sms.requested
from hub.sms import queue  # noqa: F401
