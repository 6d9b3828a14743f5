"""The table of contents of the hub's event handlers: importing it registers them all."""
# Each registers its handlers on import.
from hub import cases, parallel, records, stream  # noqa: F401
