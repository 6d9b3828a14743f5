"""``hallsync bench …``: benchmarks of the real work, beside the raw limits measured in the
same run."""
