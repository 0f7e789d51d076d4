"""admin_audit: every change made on the admin screens

Revision ID: e3f1a9c7b2d4
Revises: d7a3c5e9f214
Create Date: 2026-12-07 08:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e3f1a9c7b2d4"
down_revision = "d7a3c5e9f214"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=30), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_admin_audit_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    op.create_index(op.f("ix_admin_audit_actor_id"), "admin_audit", ["actor_id"])
    op.create_index(op.f("ix_admin_audit_action"), "admin_audit", ["action"])
    op.create_index(op.f("ix_admin_audit_created_at"), "admin_audit", ["created_at"])


def downgrade():
    op.drop_index(op.f("ix_admin_audit_created_at"), table_name="admin_audit")
    op.drop_index(op.f("ix_admin_audit_action"), table_name="admin_audit")
    op.drop_index(op.f("ix_admin_audit_actor_id"), table_name="admin_audit")
    op.drop_table("admin_audit")
