"""The table of contents of the node's message appliers: importing it registers them all."""
from node import (appointments, catalog, evaluation, handoffs, inbox,  # noqa: F401  (each
                  parallel, supervised)  # registers its appliers on import)
