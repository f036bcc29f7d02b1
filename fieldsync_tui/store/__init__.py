"""The local store: Django ORM over SQLite in the data folder, configured by the package."""
