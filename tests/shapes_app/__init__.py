"""Small models of the shapes fieldsync supports or refuses, for the system-check
and shape tests (tests/server/test_model_shapes.py).

Installed only in the server test settings; nothing here is registered by
default: each test names the models it syncs in an overridden ``FIELDSYNC``.
Expeditions of the museum (tests/museum_site) are the categories.
"""
