"""cases: the backlog counts open cases fast (counters kept by triggers, recent open cases indexed)

- case_backlog_counts: open cases per (unit, category, ward, priority). On PostgreSQL,
  triggers on `cases` keep it exact in the same transaction as each insert, update of
  status, unit, category, ward or priority, delete and truncate; it is filled here from
  the cases there are (the triggers exist first, and creating them locks out writers until
  this migration commits). SQLite has the table but no triggers: there the backlog counts
  the cases themselves (app/cases/backlog.py).
- ix_cases_open_created: the open cases by receipt time, carrying what the backlog groups
  and filters by (INCLUDE is PostgreSQL's; SQLite gets the partial index without it), so
  the open cases of the last 30 days are an index-only scan.

The open statuses listed here are OPEN_STATUSES of app/cases/workflow.py
(tests/cases/test_backlog.py checks that counters and cases agree in every status).

Revision ID: a4c7e2b9d815
Revises: e3f1a9c7b2d4
Create Date: 2026-12-07 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a4c7e2b9d815"
down_revision = "e3f1a9c7b2d4"
branch_labels = None
depends_on = None

OPEN = "('in_progress', 'received', 'resolved', 'verifying', 'waiting')"
KEY = "unit_id, category, (coalesce(ward_id, 0)), priority"

ADD = f"""
CREATE FUNCTION case_backlog_counts_add(
    p_unit integer, p_category varchar, p_ward integer, p_priority varchar, p_delta integer
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO case_backlog_counts (unit_id, category, ward_id, priority, open_cases)
    VALUES (p_unit, p_category, p_ward, p_priority, p_delta)
    ON CONFLICT ({KEY})
    DO UPDATE SET open_cases = case_backlog_counts.open_cases + EXCLUDED.open_cases
$$
"""

# When a case moves from one group to another, the two counters are updated in key order,
# so that two transactions moving cases in opposite directions cannot deadlock.
TRACK = f"""
CREATE FUNCTION case_backlog_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_open boolean := false;
    now_open boolean := false;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM case_backlog_counts;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        was_open := OLD.status IN {OPEN};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        now_open := NEW.status IN {OPEN};
    END IF;
    IF was_open AND now_open THEN
        IF (OLD.unit_id, OLD.category, OLD.ward_id, OLD.priority)
                IS NOT DISTINCT FROM (NEW.unit_id, NEW.category, NEW.ward_id, NEW.priority) THEN
            RETURN NULL;
        END IF;
        IF (NEW.unit_id, NEW.category, coalesce(NEW.ward_id, 0), NEW.priority)
                < (OLD.unit_id, OLD.category, coalesce(OLD.ward_id, 0), OLD.priority) THEN
            PERFORM case_backlog_counts_add(NEW.unit_id, NEW.category, NEW.ward_id,
                                            NEW.priority, 1);
            PERFORM case_backlog_counts_add(OLD.unit_id, OLD.category, OLD.ward_id,
                                            OLD.priority, -1);
            RETURN NULL;
        END IF;
    END IF;
    IF was_open THEN
        PERFORM case_backlog_counts_add(OLD.unit_id, OLD.category, OLD.ward_id,
                                        OLD.priority, -1);
    END IF;
    IF now_open THEN
        PERFORM case_backlog_counts_add(NEW.unit_id, NEW.category, NEW.ward_id,
                                        NEW.priority, 1);
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER case_backlog_counts_insert_delete AFTER INSERT OR DELETE ON cases "
    "FOR EACH ROW EXECUTE FUNCTION case_backlog_counts_track()",
    "CREATE TRIGGER case_backlog_counts_update "
    "AFTER UPDATE OF status, unit_id, category, ward_id, priority ON cases FOR EACH ROW "
    "WHEN ((OLD.status, OLD.unit_id, OLD.category, OLD.ward_id, OLD.priority) "
    "IS DISTINCT FROM (NEW.status, NEW.unit_id, NEW.category, NEW.ward_id, NEW.priority)) "
    "EXECUTE FUNCTION case_backlog_counts_track()",
    "CREATE TRIGGER case_backlog_counts_truncate AFTER TRUNCATE ON cases "
    "FOR EACH STATEMENT EXECUTE FUNCTION case_backlog_counts_track()",
)

FILL = f"""
INSERT INTO case_backlog_counts (unit_id, category, ward_id, priority, open_cases)
SELECT unit_id, category, ward_id, priority, count(*)
FROM cases WHERE status IN {OPEN}
GROUP BY unit_id, category, ward_id, priority
"""


def upgrade():
    op.create_table(
        "case_backlog_counts",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("open_cases", sa.Integer(), nullable=False),
    )
    op.execute(f"CREATE UNIQUE INDEX ux_case_backlog_counts_key ON case_backlog_counts ({KEY})")
    op.create_index(
        "ix_cases_open_created",
        "cases",
        ["created_at"],
        unique=False,
        postgresql_include=["unit_id", "category", "ward_id", "priority"],
        postgresql_where=sa.text(f"status IN {OPEN}"),
        sqlite_where=sa.text(f"status IN {OPEN}"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ADD)
    op.execute(TRACK)
    for trigger in TRIGGERS:
        op.execute(trigger)
    op.execute(FILL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert_delete", "update", "truncate"):
            op.execute(f"DROP TRIGGER case_backlog_counts_{name} ON cases")
        op.execute("DROP FUNCTION case_backlog_counts_track()")
        op.execute(
            "DROP FUNCTION case_backlog_counts_add(integer, varchar, integer, varchar, integer)"
        )
    op.drop_index("ix_cases_open_created", table_name="cases")
    op.drop_table("case_backlog_counts")
