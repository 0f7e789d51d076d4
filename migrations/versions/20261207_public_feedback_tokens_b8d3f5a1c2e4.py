"""public: the reporter's secret feedback link, stored hashed per report

Filing a report hands back a random token once; `feedback_tokens` keeps its
SHA-256 tied to the report's post, and only that link may confirm or refuse a
city's response.

Revision ID: b8d3f5a1c2e4
Revises: 7e4b2c9d1f36
Create Date: 2026-12-07 07:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b8d3f5a1c2e4"
down_revision = "7e4b2c9d1f36"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_feedback_tokens_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_tokens")),
        sa.UniqueConstraint("post_id", name=op.f("uq_feedback_tokens_post_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feedback_tokens_token_hash")),
    )


def downgrade():
    op.drop_table("feedback_tokens")
