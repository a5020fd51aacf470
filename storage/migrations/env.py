"""alembic environment: herald hands in an open connection.

``herald-manage db upgrade`` (and the tests) build the engine from herald's
configuration, so this file never reads a URL of its own.
"""

from alembic import context

from storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
