"""The table of contents of the node's message appliers: importing it registers them all."""
from node import (appointments, calendar_versions, cards, catalog, complaints,  # noqa: F401
                  consultation, evaluation, forwarded_applications, handoffs, inbox,  # (each
                  licences, parallel, supervised)  # registers its appliers)
