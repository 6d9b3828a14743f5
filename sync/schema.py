"""Bring a database up to its models at every start: missing tables, columns and indexes.

A data directory made by an older hallsync lacks what later versions added to
the models. ``upgrade`` compares each existing table's columns with its
model's fields and adds the missing ones with ``playhouse.migrate``, then lets
``create_tables(safe=True)`` create the missing tables and indexes (``IF NOT
EXISTS``: on SQLite and PostgreSQL peewee emits it for the indexes of existing
tables too, once their columns exist). The node (``node.store.bind``) and the
hub (``hub.db.bind``) call it when they open their database.

* One transaction: an upgrade that cannot finish changes nothing.
* Idempotent and cheap when nothing is missing: two catalog queries (columns, index
  names) and no DDL. On PostgreSQL ``CREATE INDEX IF NOT EXISTS`` locks its table against
  writes until the transaction ends, even when the index is there: a hub worker starting
  while another wrote (gunicorn replacing one that died) would deadlock with it and fail
  to boot, and gunicorn stops the whole hub then.
* A column added later must be nullable or have a default, which the rows
  already there take; one that is NOT NULL without a default raises
  ``SchemaError`` naming the table and column instead of guessing a value.
* On PostgreSQL the hub's gunicorn workers start at once: a transaction-level
  advisory lock makes them upgrade one after another (each later one finds
  nothing to do), where concurrent ``CREATE … IF NOT EXISTS`` could collide.
  On SQLite ``BEGIN IMMEDIATE`` already queues them.

Only additions are found: a renamed or dropped field, a changed type or a changed
index definition under the same name is not detected, and needs a conversion of its
own, which the caller passes in (``hub.db`` has one).
"""
from __future__ import annotations

import logging

from peewee import SQL, Database, Field
from playhouse.migrate import SchemaMigrator, migrate

from sync.database import is_postgresql
from sync.errors import SchemaError

log = logging.getLogger("hallsync.schema")

# pg_advisory_xact_lock takes one bigint: "hallschm" in ASCII (hub.coverage.alerts has "hallalrt").
LOCK_KEY = 0x68616C6C7363686D


def upgrade(db: Database, models, conversions=()) -> list[str]:
    """Add what ``models`` have and ``db`` lacks; return the columns added (``table.column``).

    :param models: model classes bound to ``db`` (directly or through a proxy).
    :param conversions: the changes that are not additions (a table replaced by another),
        each called as ``conversion(db, existing)`` with the columns found before
        (``existing_columns``), after the additions, in the same transaction and lock.
    :raises SchemaError: when a missing column is NOT NULL without a default (nothing
        is changed then).
    """
    with db.atomic():
        if is_postgresql(db):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        existing = existing_columns(db)
        missing = [(model._meta.table_name, field) for model in models
                   if model._meta.table_name in existing
                   for field in model._meta.sorted_fields
                   if field.column_name.lower() not in existing[model._meta.table_name]]
        migrator = SchemaMigrator.from_database(db)
        # All checks first: a column that cannot be added stops the upgrade before any DDL.
        operations = [_add_column(migrator, db, table, field) for table, field in missing]
        migrate(*operations)
        if missing or not _complete(db, models, existing):
            db.create_tables(models, safe=True)
        for conversion in conversions:
            conversion(db, existing)
    added = [f"{table}.{field.column_name}" for table, field in missing]
    for name in added:
        log.info("schema upgrade: added column %s", name)
    return added


def _complete(db: Database, models, existing: dict[str, set[str]]) -> bool:
    """Whether every model's table and every index it declares are there (an index given
    as bare SQL has no name to look for: then only ``create_tables`` can tell)."""
    if any(model._meta.table_name not in existing for model in models):
        return False
    wanted = [index for model in models for index in model._meta.fields_to_index()]
    if any(not getattr(index, "_name", None) for index in wanted):
        return False
    return {index._name for index in wanted} <= existing_indexes(db)


def existing_indexes(db: Database) -> set[str]:
    """The names of the indexes of ``db`` (its current schema on PostgreSQL)."""
    if is_postgresql(db):
        rows = db.execute_sql("SELECT indexname FROM pg_catalog.pg_indexes"
                              " WHERE schemaname = current_schema()")
    else:
        rows = db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {name for (name,) in rows}


def existing_columns(db: Database) -> dict[str, set[str]]:
    """Every table of ``db`` (its current schema on PostgreSQL) → its column names, lowercased.

    One query, where ``get_columns`` per table would be two per table on PostgreSQL.
    """
    if is_postgresql(db):
        rows = db.execute_sql(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a"
            " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace"
            " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped").fetchall()
    else:
        rows = db.execute_sql(
            "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p"
            " WHERE m.type = 'table'").fetchall()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column.lower())
    return found


def _add_column(migrator: SchemaMigrator, db: Database, table: str, field: Field):
    """The migration operation that adds ``field`` to ``table``."""
    column = field.column_name
    if field.primary_key:
        raise SchemaError(table, column, "a primary-key column cannot be added to an "
                                         "existing table; this needs a migration of its own")
    default = field.default() if callable(field.default) else field.default
    if default is None:
        if field.null:
            return migrator.add_column(table, column, field)
        raise SchemaError(table, column, "the model has it NOT NULL without a default, so the "
                                         "rows already there have no value to take; give the "
                                         "field a default or null=True")
    # The column with a DEFAULT in one ALTER: both engines fill the old rows from it without
    # rewriting the table, where migrator.add_column would UPDATE every row and then (SQLite
    # before 3.53) rebuild the whole table to add NOT NULL. A callable default is called
    # once, for all the old rows, as peewee's own add_column does. The DEFAULT stays in the
    # database (a fresh table has none): harmless, peewee always writes the value itself.
    field = field.clone()
    field.constraints = [*(field.constraints or ()),
                         SQL(f"DEFAULT {_literal(db, field.db_value(default), table, column)}")]
    return migrator.alter_add_column(table, column, field, allow_not_null=True)


def _literal(db: Database, value, table: str, column: str) -> str:
    """``value`` as an SQL literal (DDL takes no parameters on SQLite)."""
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if is_postgresql(db) else str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise SchemaError(table, column, f"its default {value!r} cannot be written as an SQL "
                                     "literal; give the field a plain default or null=True")

