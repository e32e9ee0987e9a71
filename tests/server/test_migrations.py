"""Alembic migrations agree with the models and run both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from server.db import alembic_config, make_engine, migrate
from server.models import metadata


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_and_migrations_agree(db_url: str):
    migrate(db_url)
    # `alembic check` raises when autogenerate would write a new migration.
    command.check(alembic_config(db_url))


def test_upgrade_downgrade_upgrade(db_url: str):
    config = alembic_config(db_url)
    model_tables = set(metadata.tables)

    command.upgrade(config, "head")
    assert _tables(db_url) >= model_tables | {"alembic_version"}

    command.downgrade(config, "base")
    assert not (_tables(db_url) & model_tables)

    command.upgrade(config, "head")
    assert _tables(db_url) >= model_tables
    command.check(config)


def test_migrate_twice_is_a_no_op(db_url: str):
    migrate(db_url)
    migrate(db_url)
    command.check(alembic_config(db_url))
