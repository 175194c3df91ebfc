"""Search: a revision number on every practitioner change, for each process's in-memory index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 23:00:00.000000

- ``practitioners.search_revision``: set from the sequence ``search_revision`` on insert and on
  every update (ratings and session counts included), by a row trigger, so a process holding an
  index of the public practitioners (``search.index``) can read just the rows that changed since
  its last look (``WHERE search_revision > $seen``, through ``ix_practitioners_search_revision``)
  and compare its revision with the sequence's to know whether anything changed at all.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVISED = """
CREATE OR REPLACE FUNCTION search_revised() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_revision := nextval('search_revision');
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS search_revision AS bigint")
    op.add_column(
        "practitioners",
        sa.Column(
            "search_revision",
            sa.BigInteger(),
            server_default=sa.text("nextval('search_revision')"),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_practitioners_search_revision", "practitioners", ["search_revision"], unique=False
    )
    op.execute(REVISED)
    op.execute(
        "CREATE TRIGGER search_revised BEFORE UPDATE ON practitioners"
        " FOR EACH ROW EXECUTE FUNCTION search_revised()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS search_revised ON practitioners")
    op.execute("DROP FUNCTION IF EXISTS search_revised()")
    op.drop_index("ix_practitioners_search_revision", table_name="practitioners")
    op.drop_column("practitioners", "search_revision")
    op.execute("DROP SEQUENCE IF EXISTS search_revision")
