"""The hub's pages and JSON API, one blueprint per module."""
