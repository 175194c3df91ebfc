"""Practitioner supply: blocked times, credential documents, the verification audit trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 16:59:01.110927
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blocked_times",
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_blocked_times_period")),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_blocked_times_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_times")),
    )
    op.create_index(
        "ix_blocked_times_practitioner_id_starts_at",
        "blocked_times",
        ["practitioner_id", "starts_at"],
        unique=False,
    )
    op.create_table(
        "credential_documents",
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_credential_documents_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_credential_documents_storage_key")),
    )
    op.create_index(
        "ix_credential_documents_practitioner_id",
        "credential_documents",
        ["practitioner_id"],
        unique=False,
    )
    op.create_table(
        "verification_decisions",
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "pending",
                "verified",
                "rejected",
                name="verification_decision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_verification_decisions_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_verification_decisions_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_decisions")),
    )
    op.create_index(
        "ix_verification_decisions_practitioner_id_created_at",
        "verification_decisions",
        ["practitioner_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_verification_decisions_practitioner_id_created_at", table_name="verification_decisions"
    )
    op.drop_table("verification_decisions")
    op.drop_index("ix_credential_documents_practitioner_id", table_name="credential_documents")
    op.drop_table("credential_documents")
    op.drop_index("ix_blocked_times_practitioner_id_starts_at", table_name="blocked_times")
    op.drop_table("blocked_times")
