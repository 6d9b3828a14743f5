"""The table of contents of the node's message appliers: importing it registers them all."""
from node import (appointments, cards, catalog, complaints, consultation,  # noqa: F401  (each
                  evaluation, forwarded_applications, handoffs, inbox, licences,  # registers
                  parallel, supervised)  # its appliers)
