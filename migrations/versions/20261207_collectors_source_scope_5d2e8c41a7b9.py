"""collectors: each source has a scope, local or national

A national source's post needs a place in the city to become a case; a local
source's post that names no place is about the city. Press feeds, YouTube and X
start as national, the others as local.

Revision ID: 5d2e8c41a7b9
Revises: 3c1f0a7e5b2d
Create Date: 2026-12-07 01:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5d2e8c41a7b9"
down_revision = "3c1f0a7e5b2d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=16), server_default="local", nullable=False)
        )
    op.execute("UPDATE sources SET scope = 'national' WHERE kind IN ('rss', 'youtube', 'x')")


def downgrade():
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("scope")
