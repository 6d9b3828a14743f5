"""Generators of the data in ``config/``: run by hand, their output reviewed and committed."""
