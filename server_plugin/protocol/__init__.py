"""The protocol both sides share, in plain Python (no Django).

The client imports this subpackage and nothing else of the plugin: the wire
shapes (`wire`), the table of field types (`fields`), the three-way merge
(`merge`), clock stamps (`hlc`) and the bundle file format (`bundle_format`).
Import contracts in pyproject.toml keep it so.
"""
