"""`make bench-load`: a mixed load of caseworkers, coordinators and people asking for help
against a 100,000-person PostgreSQL instance (issue 17). The driver is bench/load/run.py;
locust runs in its own virtualenv (.venv-load, pinned in bench/load/requirements.lock) so
the application never installs it."""
