"""The bottom of Corridor's web stack: what every app uses and nothing else.

It may import only `corridor.keys` (the sealed wall asks whether the instance is open);
every other app may import it. `make lint` checks the layers (pyproject.toml, importlinter).
"""
