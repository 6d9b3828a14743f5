"""The composition tier: the ``hallsync`` command, and what wires a hub and nodes together
(the hub served with the city node at ``/city/``, the demo, simulations, benches). The only
code that imports both ``hub`` and ``node``."""
