"""A second central site for tests, not the newsroom: a museum's field survey.

Expeditions are the categories; trenches, artefacts (and paintings, a
multi-table child), and notes are edited offline; people and materials are
reference data. It uses every field type Django ships and the model shapes a
real site has (integer, UUID and natural keys, a self-reference, a
``to_field`` key, a two-hop category path, a custom ``save()``, a signal of
its own, ``SET_NULL`` / ``SET_DEFAULT`` / ``SET()`` and cascades several
levels deep). Run it like the demo::

    DJANGO_SETTINGS_MODULE=tests.museum_site.settings \
        python -m server_plugin.demo --data-dir DIR --seed-command seed_museum
"""
