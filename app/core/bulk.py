"""Inserting many rows fast: COPY on PostgreSQL, an executemany elsewhere (SQLite)."""

import json

from sqlalchemy import Table, insert
from sqlalchemy.types import JSON

from app.extensions import db


def insert_rows(table: Table, rows: list[dict]) -> int:
    """Insert `rows` (dicts with the same keys) into `table` in the session's transaction.

    Column defaults are not applied: give every NOT NULL column a value.
    """
    if not rows:
        return 0
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return len(rows)
    columns = list(rows[0])
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    names = ", ".join(f'"{name}"' for name in columns)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n]) if n in as_json else row[n] for n in columns])
    return len(rows)
