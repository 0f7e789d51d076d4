"""triage routing clustering labels

Revision ID: a2b2a9c7fc6f
Revises: 72951707d13a
Create Date: 2026-11-28 08:17:58.100674

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2b2a9c7fc6f'
down_revision = '72951707d13a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('former_district_id', sa.Integer(), nullable=True),
    sa.Column('requires_ward', sa.Boolean(), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('target_unit_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['former_district_id'], ['former_districts.id'], name=op.f('fk_routing_rules_former_district_id_former_districts')),
    sa.ForeignKeyConstraint(['target_unit_id'], ['units.id'], name=op.f('fk_routing_rules_target_unit_id_units')),
    sa.ForeignKeyConstraint(['ward_id'], ['units.id'], name=op.f('fk_routing_rules_ward_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )

    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rules_position'), ['position'], unique=False)

    op.create_table('case_signatures',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('ward_codes', sa.JSON(), nullable=False),
    sa.Column('former_district_code', sa.String(length=16), nullable=True),
    sa.Column('centroid', sa.LargeBinary(), nullable=True),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('reach', sa.Integer(), nullable=False),
    sa.Column('last_post_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_signatures_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_signatures'))
    )

    with op.batch_alter_table('case_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_signatures_category'), ['category'], unique=False)

    op.create_table('triage_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('relevant', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('ward_code', sa.String(length=16), nullable=True),
    sa.Column('model_category', sa.String(length=32), nullable=True),
    sa.Column('model_confidence', sa.Float(), nullable=True),
    sa.Column('labelled_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['labelled_by_id'], ['users.id'], name=op.f('fk_triage_labels_labelled_by_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_triage_labels_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_labels'))
    )

    with op.batch_alter_table('triage_labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triage_labels_post_id'), ['post_id'], unique=False)


def downgrade():
    with op.batch_alter_table('triage_labels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triage_labels_post_id'))

    op.drop_table('triage_labels')

    with op.batch_alter_table('case_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_signatures_category'))

    op.drop_table('case_signatures')

    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_position'))

    op.drop_table('routing_rules')
