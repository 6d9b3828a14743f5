"""The Flask shell both sites share, below hub and node, above ``sync``.

Logins and roles (``auth``, ``staff``, ``logins``), CSRF, the one error →
problem-JSON handler (``errors``), the heartbeat registry runner
(``heartbeat``), the ``user`` commands, and the page frame, login and catalog
templates with the style sheet (``frame``). It imports ``sync`` only: a site
passes in what differs (its staff directory, its heartbeat checks, its nav).
"""
