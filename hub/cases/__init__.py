"""The hub's copy of every case, and what moves between centers: handoffs, joint approval,
supervision relays."""
