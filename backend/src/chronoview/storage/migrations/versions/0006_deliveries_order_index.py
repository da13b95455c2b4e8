"""The claim's "an earlier delivery of this incident and channel is still open" check, by index.

`ix_deliveries_incident` becomes (incident_id, channel_id, id): the check's three conditions in
one index. On (incident_id, channel_id) alone, PostgreSQL without statistics yet (a fresh outbox,
a burst before autovacuum's first ANALYZE) probed `ix_deliveries_channel` instead and read every
earlier row of the channel for each candidate: 47 ms a claim with 1,000 rows due, 1 ms now.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_deliveries_incident", "deliveries")
    op.create_index("ix_deliveries_incident", "deliveries", ["incident_id", "channel_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_incident", "deliveries")
    op.create_index("ix_deliveries_incident", "deliveries", ["incident_id", "channel_id"])
