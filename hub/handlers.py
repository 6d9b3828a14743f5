"""The table of contents of the hub's event handlers: importing it registers them all
(``hub.ledger.registry``); the app and the commands that apply events import it."""
# case.received, case.action; joint.opinion; supervision.subscribe; rectification.action;
# consultation.asked, consultation.answered; complaint.filed, complaint.answered;
# appointment.plan; prereview.returned, prereview.passed, prereview.declined;
# licence.issued, licence.revoked
from hub.cases import (applications, appointments, complaints, consultations,  # noqa: F401
                       copies, licences, parallel, rectifications, supervision, worked_ahead)
# record.put, record.delete; message.applied
from hub.ledger import records, stream  # noqa: F401
# sms.requested
from hub.sms import queue  # noqa: F401
