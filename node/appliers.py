"""The table of contents of the node's message appliers: importing it registers them all."""
from node import (cards, catalog, evaluation, handoffs, inbox,  # noqa: F401  (each registers
                  parallel, supervised)  # its appliers on import)
