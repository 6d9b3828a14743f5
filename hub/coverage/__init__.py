"""Coverage: each center's contact, lag, backlog and versions; the alerts raised from them."""
