"""The table of contents of the hub's event handlers: importing it registers them all."""
from hub import cases, parallel, records, stream  # noqa: F401  (each registers its handlers on import)
