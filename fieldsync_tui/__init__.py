"""fieldsync's client: a local store, a sync engine, a command line and a terminal app."""

__version__ = "0.1.0"
