"""`chronoview_claim_seq_runs`: the passed-seq check of a write, given its seqs as runs.

A write by binary COPY (large groups, see `SqlStorage._write_postgres`) hands over its seqs as runs
of consecutive seqs per metric: one pair of numbers per run instead of one number per point. A run
meets a passed range exactly when one of its seqs does, so the check is the same as
`chronoview_claim_seqs` (0005), with the same shared lock per metric taken first.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_CLAIM_RUNS = """
CREATE FUNCTION chronoview_claim_seq_runs(names text[], firsts int8[], lasts int8[]) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT DISTINCT n FROM unnest(names) AS n ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock_shared(hashtext('chronoview.seq:' || name));
    END LOOP;
    IF EXISTS (
        SELECT 1 FROM unnest(names, firsts, lasts) AS r(metric, lo, hi)
        JOIN passed_seqs p ON p.metric = r.metric AND p.last_seq >= r.lo AND p.first_seq <= r.hi
    ) THEN
        RAISE EXCEPTION 'a seq of this batch was passed over by a reader; retry'
            USING ERRCODE = 'CV001';
    END IF;
    RETURN true;
END
$$
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(_CLAIM_RUNS)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION chronoview_claim_seq_runs(text[], int8[], int8[])")
