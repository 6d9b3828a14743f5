"""The table of contents of the node's message appliers: importing it registers them all."""
from node import (appointments, calendar_versions, cards, catalog, complaints,  # noqa: F401
                  consultation, evaluation, handoffs, inbox, parallel,  # (each registers
                  supervised)  # its appliers)
