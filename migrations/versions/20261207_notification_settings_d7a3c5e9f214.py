"""notifications: per-user settings (kinds switched off per channel, digest mode),
an `in_app` flag on notifications, and the outbox of emails to reporters

Revision ID: d7a3c5e9f214
Revises: c4e9a2d7b513
Create Date: 2026-12-07 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d7a3c5e9f214"
down_revision = "c4e9a2d7b513"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "notifications",
        sa.Column("in_app", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.JSON(), nullable=False),
        sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "reporter_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_reporter_emails_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporter_emails")),
    )
    op.create_index(
        op.f("ix_reporter_emails_case_id"), "reporter_emails", ["case_id"], unique=False
    )
    op.create_index("ix_reporter_emails_status", "reporter_emails", ["status", "id"], unique=False)


def downgrade():
    op.drop_index("ix_reporter_emails_status", table_name="reporter_emails")
    op.drop_index(op.f("ix_reporter_emails_case_id"), table_name="reporter_emails")
    op.drop_table("reporter_emails")
    op.drop_table("notification_settings")
    op.drop_column("notifications", "in_app")
