"""The table of contents of the node's message appliers: importing it registers them all."""
from node import (appointments, cards, catalog, evaluation, handoffs,  # noqa: F401  (each
                  inbox, parallel, supervised)  # registers its appliers on import)
