"""stats: covering index of stage times (a month of a stage is an index-only scan)

Replaces ix_stats_stage_times_stage_stopped_unit (stage, stopped_at, unit_id) with an index
on (stage, stopped_at) that carries every column the handling-time statistics read, so
PostgreSQL answers them without visiting the table. SQLite ignores INCLUDE: there it is a
plain (stage, stopped_at) index.

Revision ID: 9afde21fd533
Revises: 905056746253
Create Date: 2026-11-28 10:52:02.858704

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "9afde21fd533"
down_revision = "905056746253"
branch_labels = None
depends_on = None

INCLUDED = [
    "unit_id",
    "category",
    "source",
    "ward_id",
    "former_district_id",
    "working_seconds",
    "calendar_seconds",
    "on_time",
]


def upgrade():
    with op.batch_alter_table("stats_stage_times", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_stage_times_stage_stopped_unit")
        batch_op.create_index(
            "ix_stats_stage_times_stage_stopped_cover",
            ["stage", "stopped_at"],
            unique=False,
            postgresql_include=INCLUDED,
        )


def downgrade():
    with op.batch_alter_table("stats_stage_times", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_stage_times_stage_stopped_cover")
        batch_op.create_index(
            "ix_stats_stage_times_stage_stopped_unit",
            ["stage", "stopped_at", "unit_id"],
            unique=False,
        )
