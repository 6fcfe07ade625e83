"""Models used only by the benchmarks; bench/run.py installs this app, production never does.

Its tables are created directly with the schema editor (no migrations): they exist only
in the throw-away instance a benchmark run makes.
"""
