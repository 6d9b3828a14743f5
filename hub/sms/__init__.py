"""SMS through the city's one gateway account, each message sent exactly once.

``queue`` takes messages in (the centers' ``sms.requested`` events, the hub's
own verification codes); ``policy`` says when each may go (quiet hours, rate
limits per number, expiry); ``gateway`` is the provider interface and its
adapter; ``sender`` runs the sending rounds; ``receipts`` takes the provider's
delivery reports.
"""
