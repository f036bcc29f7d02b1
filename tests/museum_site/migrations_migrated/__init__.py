"""The museum's migrations after a deployment: its own 0001, then 0002 (see models.py)."""
