"""Alembic environment: the engine comes from `tracker db upgrade` (or tests), never from an ini file."""

from alembic import context
from sqlmodel import SQLModel

from tracker.db import import_models, make_engine
from tracker.settings import raw_value

import_models()
config = context.config
engine = config.attributes.get("engine") or make_engine(raw_value("TRACKER_DATABASE_URL"))


def run_migrations() -> None:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
