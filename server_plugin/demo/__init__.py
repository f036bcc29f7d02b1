"""A small newsroom that shows the plugin at work: the demo central site.

Run with ``fieldsync demo --server-only`` (or ``python -m server_plugin.demo``).
It binds to 127.0.0.1 only: its users have a published password.
"""
