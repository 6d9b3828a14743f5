"""The table of contents of the hub's event handlers: importing it registers them all
(``hub.ledger.registry``); the app and the commands that apply events import it."""
# case.received, case.action; joint.opinion; supervision.subscribe; rectification.action;
# consultation.asked, consultation.answered
from hub.cases import consultations, copies, parallel, rectifications, supervision  # noqa: F401
# record.put, record.delete; message.applied
from hub.ledger import records, stream  # noqa: F401
# sms.requested
from hub.sms import queue  # noqa: F401
