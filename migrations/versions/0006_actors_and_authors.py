"""Who acts: the actor registry, the registries' own chains, and the author of every record.

Adds the registry of actors (``coopflow_actor``), the hash chains of the shared registries
(``coopflow_registry_journal``, heads in ``coopflow_chain``), this database's settings
(``coopflow_setting``), how each journal record's actor was identified and which database
login wrote it, and the registered login of a signatory.  The registry's journal is
append-only like the journal.  On PostgreSQL a trigger makes the database itself refuse a
journal or registry record whose author is not the login writing it (see
``coopflow_check_author`` below and the README, "Deployment on PostgreSQL").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The registries with a hash chain of their own.
CHAINS = ("actors", "parties")

#: The records whose author the database checks.
AUTHORED = ("coopflow_journal", "coopflow_registry_journal")

# Who may write a record naming ``actor`` in ``role``: the actor must be registered, active
# and hold the role; then a superuser, the tables' owner (the migration role) or a member of
# <prefix>_service (a host application that authenticates its users) may write it for them;
# any other login only for the actor registered with that database login, and only in a role
# whose group role (<prefix>_<role>) it is a member of.  ``db_login`` must be the writer.
CHECK_AUTHOR = """
CREATE FUNCTION coopflow_check_author() RETURNS trigger LANGUAGE plpgsql
SET search_path = {schema} AS $$
DECLARE
    writer text := session_user;
    who record;
    prefix text;
BEGIN
    IF NEW.db_login IS DISTINCT FROM writer THEN
        RAISE EXCEPTION 'coopflow: the record names database login %, but % writes it',
            coalesce(NEW.db_login, '(none)'), writer USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT a.login, a.roles, a.active, a.db_login INTO who
        FROM coopflow_actor a WHERE a.login = NEW.actor;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'coopflow: % is not a registered actor', NEW.actor
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT who.active THEN
        RAISE EXCEPTION 'coopflow: % is deactivated', NEW.actor
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT (who.roles::jsonb ? NEW.role) THEN
        RAISE EXCEPTION 'coopflow: % does not hold the role %', NEW.actor, NEW.role
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = writer)
       OR pg_has_role(writer, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')
    THEN
        RETURN NEW;
    END IF;
    SELECT value INTO prefix FROM coopflow_setting WHERE key = 'role_prefix';
    IF prefix IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = prefix || '_service')
       AND pg_has_role(writer, prefix || '_service', 'MEMBER')
    THEN
        RETURN NEW;
    END IF;
    IF who.db_login IS DISTINCT FROM writer THEN
        RAISE EXCEPTION 'coopflow: database login % may not write for %, whose login is %',
            writer, NEW.actor, coalesce(who.db_login, '(none)')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF prefix IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = prefix || '_' || NEW.role)
       OR NOT pg_has_role(writer, prefix || '_' || NEW.role, 'MEMBER')
    THEN
        RAISE EXCEPTION 'coopflow: database login % is not a member of the group role of %',
            writer, NEW.role USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "coopflow_actor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("login_key", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("db_login", sa.String(length=63), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_actor")),
        sa.UniqueConstraint("login", name=op.f("uq_coopflow_actor_login")),
        sa.UniqueConstraint("login_key", name=op.f("uq_coopflow_actor_login_key")),
        sa.UniqueConstraint("db_login", name=op.f("uq_coopflow_actor_db_login")),
    )
    chains = op.create_table(
        "coopflow_chain",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.CheckConstraint("seq >= 0", name=op.f("ck_coopflow_chain_seq")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_coopflow_chain")),
    )
    op.create_table(
        "coopflow_registry_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("identified_by", sa.String(length=16), nullable=False),
        sa.Column("db_login", sa.String(length=63), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_registry_journal")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_coopflow_registry_journal_chain_seq")),
        sa.UniqueConstraint(
            "chain", "prev_hash", name=op.f("uq_coopflow_registry_journal_chain_prev_hash")
        ),
    )
    op.bulk_insert(chains, [{"name": name, "seq": 0, "head": "0" * 64} for name in CHAINS])
    op.create_table(
        "coopflow_setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_coopflow_setting")),
    )
    op.add_column("coopflow_journal", sa.Column("identified_by", sa.String(16), nullable=True))
    op.add_column("coopflow_journal", sa.Column("db_login", sa.String(63), nullable=True))
    op.add_column("coopflow_signatory", sa.Column("login", sa.String(100), nullable=True))
    if op.get_context().dialect.name == "postgresql":
        schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
        op.execute(CHECK_AUTHOR.format(schema=schema))
        for table in AUTHORED:
            op.execute(
                f"CREATE TRIGGER {table}_author BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION coopflow_check_author()"
            )
        op.execute(
            "CREATE TRIGGER coopflow_registry_journal_append_only BEFORE UPDATE OR DELETE ON "
            "coopflow_registry_journal FOR EACH ROW EXECUTE FUNCTION coopflow_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER coopflow_registry_journal_no_truncate BEFORE TRUNCATE ON "
            "coopflow_registry_journal FOR EACH STATEMENT "
            "EXECUTE FUNCTION coopflow_refuse_change()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER coopflow_registry_journal_no_{action.lower()} BEFORE {action} ON "
            "coopflow_registry_journal BEGIN SELECT RAISE(ABORT, "
            f"'coopflow_registry_journal is append-only: {action} refused'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in AUTHORED:
            op.execute(f"DROP TRIGGER {table}_author ON {table}")
        op.execute("DROP FUNCTION coopflow_check_author()")
        op.drop_column("coopflow_signatory", "login")
        op.drop_column("coopflow_journal", "db_login")
        op.drop_column("coopflow_journal", "identified_by")
    else:
        # SQLite drops a column in place (no table rebuild, whose DROP would cascade).
        for table, column in (
            ("coopflow_signatory", "login"),
            ("coopflow_journal", "db_login"),
            ("coopflow_journal", "identified_by"),
        ):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_table("coopflow_setting")
    op.drop_table("coopflow_registry_journal")
    op.drop_table("coopflow_chain")
    op.drop_table("coopflow_actor")
