"""``hallsync hub …``: one module per command group."""
