"""cases: the queue's default order within a unit (next deadline first) comes from an index

An officer's queue without a status filter lists their unit's cases by next due time. Without
this index PostgreSQL walks the due times of every unit and skips the others' cases (tens of
milliseconds at a million cases); with it, it reads the first page of the unit's cases in order.

Revision ID: b7e3d1a9c5f2
Revises: f6b2d8a1c3e7
Create Date: 2026-12-07 10:10:00

"""

from alembic import op

revision = "b7e3d1a9c5f2"
down_revision = "f6b2d8a1c3e7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_cases_unit_next_due", "cases", ["unit_id", "next_due_at", "id"])


def downgrade():
    op.drop_index("ix_cases_unit_next_due", table_name="cases")
