"""Initial schema: users, practitioners, catalog, availability, bookings, reviews, dev mailbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:55:57.905690
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The catalog's starting taxonomy; later migrations add to it, admins never delete from it.
MODALITIES = [
    ("yoga", "Yoga", "Hatha, vinyasa, Iyengar and therapeutic yoga for body and breath."),
    ("meditation", "Meditation", "Mindfulness, vipassana and guided meditation practice."),
    ("reiki", "Reiki", "Japanese energy healing through light touch or at a distance."),
    ("ayurveda", "Ayurveda", "Traditional Indian medicine: constitution, diet, herbs and routine."),
    ("acupuncture", "Acupuncture", "Fine-needle therapy from traditional Chinese medicine."),
    ("naturopathy", "Naturopathy", "Natural therapies that support the body's own healing."),
    (
        "homeopathy",
        "Homeopathy",
        "Individualised remedies prescribed after a detailed consultation.",
    ),
    ("massage", "Massage", "Therapeutic, Swedish, deep-tissue and Abhyanga massage."),
    ("sound-healing", "Sound healing", "Singing bowls, gongs and voice for deep relaxation."),
    ("breathwork", "Breathwork", "Pranayama and conscious breathing techniques."),
    ("life-coaching", "Life coaching", "Goal-focused coaching for clarity, habits and change."),
    ("nutrition", "Nutrition", "Diet planning and nutritional counselling."),
    ("pranic-healing", "Pranic healing", "No-touch energy healing working with prana."),
    ("aromatherapy", "Aromatherapy", "Essential oils for wellbeing, massage and relaxation."),
    ("counselling", "Counselling", "Talking therapy for stress, anxiety and life transitions."),
    ("tai-chi", "Tai chi & qigong", "Slow, flowing movement for balance, strength and calm."),
    ("hypnotherapy", "Hypnotherapy", "Guided hypnosis for habits, sleep and anxiety."),
    ("art-therapy", "Art therapy", "Creative expression as a path to emotional wellbeing."),
]


def upgrade() -> None:
    op.create_table(
        "dev_mailbox",
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("recipients", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dev_mailbox")),
    )
    op.create_index("ix_dev_mailbox_created_at", "dev_mailbox", ["created_at"], unique=False)
    op.create_table(
        "modalities",
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_modalities")),
    )
    op.bulk_insert(
        sa.table(
            "modalities",
            sa.column("slug", sa.Text),
            sa.column("name", sa.Text),
            sa.column("description", sa.Text),
            sa.column("sort_order", sa.SmallInteger),
        ),
        [
            {"slug": slug, "name": name, "description": description, "sort_order": index}
            for index, (slug, name, description) in enumerate(MODALITIES)
        ],
    )
    op.create_table(
        "users",
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("gender", sa.Text(), nullable=True),
        sa.Column(
            "user_type",
            sa.Enum(
                "seeker",
                "practitioner",
                "admin",
                name="user_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "inactive",
                "suspended",
                name="user_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("email_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("phone_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("locale", sa.Text(), nullable=False),
        sa.Column("avatar_key", sa.Text(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index("ix_users_user_type", "users", ["user_type"], unique=False)
    op.create_index(
        "uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_table(
        "practitioners",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("experience_years", sa.Integer(), nullable=False),
        sa.Column("hourly_rate", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("languages", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("specializations", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("certifications", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "verification_status",
            sa.Enum(
                "pending",
                "verified",
                "rejected",
                name="verification_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("offers_online", sa.Boolean(), nullable=False),
        sa.Column("offers_in_person", sa.Boolean(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lng", sa.Double(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("rating", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("total_sessions", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "experience_years >= 0 AND experience_years <= 80",
            name=op.f("ck_practitioners_experience"),
        ),
        sa.CheckConstraint("hourly_rate >= 0", name=op.f("ck_practitioners_hourly_rate")),
        sa.CheckConstraint(
            "lat IS NULL OR (lat BETWEEN -90 AND 90)", name=op.f("ck_practitioners_lat")
        ),
        sa.CheckConstraint(
            "lng IS NULL OR (lng BETWEEN -180 AND 180)", name=op.f("ck_practitioners_lng")
        ),
        sa.CheckConstraint("rating >= 0 AND rating <= 5", name=op.f("ck_practitioners_rating")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_practitioners_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practitioners")),
        sa.UniqueConstraint("user_id", name=op.f("uq_practitioners_user_id")),
    )
    op.create_index(
        "ix_practitioners_city", "practitioners", [sa.literal_column("lower(city)")], unique=False
    )
    op.create_index(
        "ix_practitioners_languages",
        "practitioners",
        ["languages"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_practitioners_lat_lng", "practitioners", ["lat", "lng"], unique=False)
    op.create_index(
        "ix_practitioners_public_rating",
        "practitioners",
        ["rating"],
        unique=False,
        postgresql_where=sa.text("verification_status = 'verified' AND is_active"),
    )
    op.create_index(
        "ix_practitioners_specializations",
        "practitioners",
        ["specializations"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_practitioners_verification_status",
        "practitioners",
        ["verification_status"],
        unique=False,
    )
    op.create_table(
        "availability_schedules",
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("weekly_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("overrides", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("max_advance_days", sa.Integer(), nullable=False),
        sa.Column("slot_interval_minutes", sa.Integer(), nullable=False),
        sa.Column("daily_booking_limit", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_availability_schedules_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practitioner_id", name=op.f("pk_availability_schedules")),
    )
    op.create_table(
        "services",
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "online",
                "in_person",
                name="service_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 480", name=op.f("ck_services_duration")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_services_price")),
        sa.ForeignKeyConstraint(
            ["category"], ["modalities.slug"], name=op.f("fk_services_category_modalities")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_services_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    op.create_index("ix_services_category", "services", ["category"], unique=False)
    op.create_index("ix_services_practitioner_id", "services", ["practitioner_id"], unique=False)
    op.create_table(
        "bookings",
        sa.Column("seeker_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "completed",
                "cancelled",
                "no_show",
                name="booking_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "mode",
            sa.Enum(
                "online",
                "in_person",
                name="booking_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("commission_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("session_notes", sa.Text(), nullable=True),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Uuid(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ends_at > scheduled_at", name=op.f("ck_bookings_period")),
        sa.CheckConstraint(
            "total_amount >= 0 AND commission_amount >= 0", name=op.f("ck_bookings_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_bookings_practitioner_id_practitioners"),
        ),
        sa.ForeignKeyConstraint(
            ["seeker_id"], ["users.id"], name=op.f("fk_bookings_seeker_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_bookings_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    op.create_index(
        "ix_bookings_practitioner_id_scheduled_at",
        "bookings",
        ["practitioner_id", "scheduled_at"],
        unique=False,
    )
    op.create_index(
        "ix_bookings_seeker_id_scheduled_at",
        "bookings",
        ["seeker_id", "scheduled_at"],
        unique=False,
    )
    op.create_table(
        "reviews",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("seeker_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_reviews_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_reviews_practitioner_id_practitioners"),
        ),
        sa.ForeignKeyConstraint(
            ["seeker_id"], ["users.id"], name=op.f("fk_reviews_seeker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_reviews_booking_id")),
    )
    op.create_index(
        "ix_reviews_practitioner_id_created_at",
        "reviews",
        ["practitioner_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_practitioner_id_created_at", table_name="reviews")
    op.drop_table("reviews")
    op.drop_index("ix_bookings_seeker_id_scheduled_at", table_name="bookings")
    op.drop_index("ix_bookings_practitioner_id_scheduled_at", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index("ix_services_practitioner_id", table_name="services")
    op.drop_index("ix_services_category", table_name="services")
    op.drop_table("services")
    op.drop_table("availability_schedules")
    op.drop_index("ix_practitioners_verification_status", table_name="practitioners")
    op.drop_index(
        "ix_practitioners_specializations", table_name="practitioners", postgresql_using="gin"
    )
    op.drop_index(
        "ix_practitioners_public_rating",
        table_name="practitioners",
        postgresql_where=sa.text("verification_status = 'verified' AND is_active"),
    )
    op.drop_index("ix_practitioners_lat_lng", table_name="practitioners")
    op.drop_index("ix_practitioners_languages", table_name="practitioners", postgresql_using="gin")
    op.drop_index("ix_practitioners_city", table_name="practitioners")
    op.drop_table("practitioners")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_index("ix_users_user_type", table_name="users")
    op.drop_table("users")
    op.drop_table("modalities")
    op.drop_index("ix_dev_mailbox_created_at", table_name="dev_mailbox")
    op.drop_table("dev_mailbox")
