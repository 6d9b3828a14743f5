"""The table of contents of the node's message appliers: importing it registers them all."""
from node import catalog, handoffs, inbox, parallel, supervised  # noqa: F401  (each registers its appliers on import)
