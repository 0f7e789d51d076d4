"""stats: hourly and daily counts of posts for the trends, each post's keywords, the lexicon

- stats_post_counts_hourly / stats_post_counts_daily: posts that count in the trends per hour
  (and local day), dimension (posts, channel, sentiment, category, place, watchlist, case,
  term) and key, kept by app/stats/trends/hourly.py in the transaction of each change;
- stats_post_words: the keywords of each post's text (as read, their distinct keys, places);
- stats_lexicon: the compounds learned from the posts.

Existing posts are counted by `flask --app wsgi stats rebuild-hourly` (it reads every text
with the keyword segmenter, which a migration does not load).

Revision ID: f6b2d8a1c3e7
Revises: a4c7e2b9d815
Create Date: 2026-12-07 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "f6b2d8a1c3e7"
down_revision = "a4c7e2b9d815"
branch_labels = None
depends_on = None


def _counts(name: str, column: str) -> None:
    op.create_table(
        name,
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column(column, sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", column, "key", name=op.f(f"pk_{name}")),
    )


def upgrade():
    _counts("stats_post_counts_hourly", "hour")
    _counts("stats_post_counts_daily", "day")
    op.create_table(
        "stats_post_words",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_stats_post_words_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_stats_post_words")),
    )
    op.create_index("ix_stats_post_words_posted", "stats_post_words", ["posted_at", "post_id"])
    op.create_index(
        "ix_stats_post_words_sample",
        "stats_post_words",
        [sa.text("(post_id % 256)"), "posted_at"],
    )
    op.create_table(
        "stats_lexicon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_lexicon")),
        sa.UniqueConstraint("phrase", name=op.f("uq_stats_lexicon_phrase")),
    )


def downgrade():
    op.drop_table("stats_lexicon")
    op.drop_index("ix_stats_post_words_sample", table_name="stats_post_words")
    op.drop_index("ix_stats_post_words_posted", table_name="stats_post_words")
    op.drop_table("stats_post_words")
    op.drop_table("stats_post_counts_daily")
    op.drop_table("stats_post_counts_hourly")
