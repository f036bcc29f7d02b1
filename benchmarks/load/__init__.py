"""The load run (issue 12): many real editors, the chief in the admin and a writer
through the ORM, against the demo site under gunicorn on PostgreSQL, then an
oracle over what everyone journaled. Entry point: ``benchmarks/load_run.py``."""
