"""fieldsync's central plugin: a reusable Django app that lets field editors
check out categories of records, edit them offline and sync them back.

Install: add ``"server_plugin"`` to ``INSTALLED_APPS``, mount
``path("fieldsync/", include("server_plugin.urls"))``, describe the synced
models in the ``FIELDSYNC`` setting (see docs/settings.md) and ``migrate``.
"""
