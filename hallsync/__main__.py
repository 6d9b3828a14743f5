"""``python -m hallsync``: the same as the ``hallsync`` command."""
from hallsync.cli import main

main()
