"""stats: when a worker claimed a report delivery (lost `sending` deliveries are released)

Revision ID: 3c1f0a7e5b2d
Revises: 9afde21fd533
Create Date: 2026-11-28 15:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3c1f0a7e5b2d"
down_revision = "9afde21fd533"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("report_deliveries", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
