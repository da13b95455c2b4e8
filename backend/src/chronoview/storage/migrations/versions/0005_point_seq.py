"""Stream offsets (SPEC §6): `points.seq`, dense per metric and unique with it, and `passed_seqs`.

The points already stored are numbered per metric in (ts, id) order. `passed_seqs` holds the
ranges of seqs a reader passed over (their points never arrived): a write of a seq in such a range
fails (503, the client retries). On PostgreSQL `chronoview_claim_seqs` makes that check race-free:
see `chronoview.storage.seqs`.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A write takes a shared lock per metric and checks the tombstones with a fresh snapshot (VOLATILE);
# a reader passing seqs takes the exclusive lock first, so each sees what the other committed.
_CLAIM = """
CREATE FUNCTION chronoview_claim_seqs(names text[], seqs int8[]) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT DISTINCT n FROM unnest(names) AS n ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock_shared(hashtext('chronoview.seq:' || name));
    END LOOP;
    IF EXISTS (
        SELECT 1 FROM passed_seqs p
        JOIN (SELECT metric, min(seq) AS lo, max(seq) AS hi FROM unnest(names, seqs) AS b(metric, seq)
              GROUP BY metric) r
          ON p.metric = r.metric AND p.last_seq >= r.lo AND p.first_seq <= r.hi
    ) AND EXISTS (
        SELECT 1 FROM unnest(names, seqs) AS b(metric, seq)
        JOIN passed_seqs p ON p.metric = b.metric AND p.last_seq >= b.seq AND p.first_seq <= b.seq
    ) THEN
        RAISE EXCEPTION 'a seq of this batch was passed over by a reader; retry'
            USING ERRCODE = 'CV001';
    END IF;
    RETURN true;
END
$$
"""


def upgrade() -> None:
    op.add_column("points", sa.Column("seq", sa.BigInteger, nullable=True))
    if op.get_context().dialect.name == "postgresql":
        op.execute("""
            UPDATE points SET seq = r.seq FROM (
                SELECT id, row_number() OVER (PARTITION BY metric ORDER BY ts, id) AS seq FROM points
            ) r WHERE r.id = points.id
        """)
        op.alter_column("points", "seq", nullable=False)
    else:
        op.execute("""
            CREATE TEMP TABLE point_seqs AS
            SELECT id, row_number() OVER (PARTITION BY metric ORDER BY ts, id) AS seq FROM points
        """)
        op.execute("CREATE UNIQUE INDEX temp.ix_point_seqs ON point_seqs (id)")
        op.execute("UPDATE points SET seq = (SELECT seq FROM point_seqs WHERE point_seqs.id = points.id)")
        op.execute("DROP TABLE point_seqs")
        with op.batch_alter_table("points") as batch:
            batch.alter_column("seq", existing_type=sa.BigInteger, nullable=False)
    op.create_index("ux_points_metric_seq", "points", ["metric", "seq"], unique=True)
    op.create_table(
        "passed_seqs",
        sa.Column("metric", sa.String(100), primary_key=True),
        sa.Column("last_seq", sa.BigInteger, primary_key=True),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(_CLAIM)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION chronoview_claim_seqs(text[], int8[])")
    op.drop_table("passed_seqs")
    op.drop_index("ux_points_metric_seq", "points")
    with op.batch_alter_table("points") as batch:
        batch.drop_column("seq")
