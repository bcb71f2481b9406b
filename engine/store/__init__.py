"""The persistent store: imported datasets, evaluation runs, flags and their review, users.

SQLite by default, PostgreSQL by URL (``DISCRETION_DB_URL``); schema changes go through
Alembic (``engine/store/migrations``). Every read and write that a person makes goes
through ``engine.store.review`` with that person's scope.
"""
