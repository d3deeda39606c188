"""A private resume link per collaboration respondent (additive: one nullable, unique column).

Revision ID: respondent_resume_token
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'respondent_resume_token'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A unique index rather than a constraint: SQLite adds both without a table copy (batch mode),
# so the migration also prints as plain SQL (``db upgrade --sql``).
def upgrade() -> None:
    op.add_column('collaboration_respondents', sa.Column('resume_token', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_collaboration_respondents_resume_token'), 'collaboration_respondents',
                    ['resume_token'], unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_collaboration_respondents_resume_token'), table_name='collaboration_respondents')
    with op.batch_alter_table('collaboration_respondents', schema=None) as batch_op:
        batch_op.drop_column('resume_token')
