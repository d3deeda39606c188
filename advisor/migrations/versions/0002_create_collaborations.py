"""Create the collaborations, their respondents and their closed rounds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('collaborations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('invitation_token', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('round_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collaborations')),
    sa.UniqueConstraint('invitation_token', name=op.f('uq_collaborations_invitation_token'))
    )
    with op.batch_alter_table('collaborations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collaborations_updated_at'), ['updated_at'], unique=False)

    op.create_table('collaboration_respondents',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('collaboration_id', sa.String(length=64), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('ruleset_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'complete')", name=op.f('ck_collaboration_respondents_status')),
    sa.ForeignKeyConstraint(['collaboration_id'], ['collaborations.id'], name=op.f('fk_collaboration_respondents_collaboration_id_collaborations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collaboration_respondents')),
    sa.UniqueConstraint('collaboration_id', 'round', 'label', name='uq_collaboration_respondents_label_per_round')
    )
    with op.batch_alter_table('collaboration_respondents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collaboration_respondents_collaboration_id'), ['collaboration_id'], unique=False)

    op.create_table('collaboration_rounds',
    sa.Column('collaboration_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['collaboration_id'], ['collaborations.id'], name=op.f('fk_collaboration_rounds_collaboration_id_collaborations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collaboration_id', 'number', name=op.f('pk_collaboration_rounds'))
    )


def downgrade() -> None:
    op.drop_table('collaboration_rounds')
    with op.batch_alter_table('collaboration_respondents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collaboration_respondents_collaboration_id'))

    op.drop_table('collaboration_respondents')
    with op.batch_alter_table('collaborations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collaborations_updated_at'))

    op.drop_table('collaborations')
