"""The table of contents of the node's message appliers: importing it registers them all."""
from node import (catalog, evaluation, handoffs, inbox, parallel,  # noqa: F401  (each registers
                  supervised)  # its appliers on import)
