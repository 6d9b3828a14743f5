"""The headers every response of both sites carries: what a browser may load, frame and leak.

The policy allows only this site's own files. Styles are the one widening: the templates
keep small ``<style>`` blocks and ``style=`` attributes (bar widths), so inline styles are
allowed; scripts are not, which is why the print buttons are wired by ``static/print.js``.
"""
from __future__ import annotations

from flask import Flask

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; "
                           "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",  # a JSON or CSV answer is never run as a script
    "Referrer-Policy": "same-origin",  # case numbers in our URLs stay on our site
}


def _add_headers(response):
    # One pass over the headers there: werkzeug's ``setdefault`` raises and catches an
    # HTTP exception for each header it does not find, three times a response.
    present = {name.lower() for name, _value in response.headers}
    for name, value in HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    return response


def init_app(app: Flask) -> None:
    """Add ``HEADERS`` to every response: pages, JSON, problems, static files, redirects."""
    app.after_request(_add_headers)
