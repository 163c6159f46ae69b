"""Who acts: the registry of actors, and the check every write makes of its author.

:func:`authorise` admits an :class:`~coopflow.Actor` for one write, or raises
PermissionDenied naming the actor, the role asked and the roles held.  The registry's own
operations (add, grant, revoke, deactivate, activate) are journaled in the ``actors`` chain
and, on PostgreSQL once coopflow's group roles are installed, grant the actor's database
login the group role of each role held (:mod:`coopflow._domain.db_roles`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coopflow import _registry
from coopflow import _validate as v
from coopflow._context import Acting, Actor
from coopflow._domain import db_roles
from coopflow._domain.editing import check_role
from coopflow._i18n import _
from coopflow._views import ActorInfo
from coopflow._vocabulary import IDENTIFICATIONS, ROLES
from coopflow.errors import AlreadyExistsError, NotFoundError, PermissionDenied, ValidationError
from coopflow.models import RegisteredActor
from sqlalchemy import Connection, bindparam, or_, select
from sqlalchemy.orm import Session

_A = RegisteredActor.__table__.c
# Built once (every write runs one of them): compiled forms are cached, values are parameters.
_WHO = select(_A.login, _A.roles, _A.active, _A.db_login)
_BY_LOGIN = _WHO.where(_A.login == bindparam("login"))
_BY_LOGIN_OR_DB_LOGIN = _WHO.where(
    or_(_A.login == bindparam("login"), _A.db_login == bindparam("db_login"))
)


def _held(roles: Sequence[str]) -> tuple[str, ...]:
    return tuple(r for r in ROLES if r in roles)


def _registered(
    db: Session | Connection,
    actor: Actor,
    what: str,
    allowed: Sequence[str],
    db_login: str | None,
) -> tuple[str, tuple[str, ...]]:
    """The login of ``actor`` and the roles they hold, once checked: a valid Actor, registered,
    active, and, when the database login connected is some actor's, that actor (one indexed
    query)."""
    if not isinstance(actor, Actor):
        raise ValidationError(
            _("an Actor is required (coopflow.Actor(login, role))"), field="actor"
        )
    login = v.login(actor.id, "actor")
    if actor.role is not None:
        check_role(actor.role)
    if actor.identified_by not in IDENTIFICATIONS:
        raise ValidationError(
            _("unknown identification {value!r} (known: {known})").format(
                value=actor.identified_by, known=", ".join(IDENTIFICATIONS)
            ),
            field="identified_by",
        )
    if db_login is None:
        rows = db.execute(_BY_LOGIN, {"login": login}).all()
    else:
        rows = db.execute(_BY_LOGIN_OR_DB_LOGIN, {"login": login, "db_login": db_login}).all()
    row = next((r for r in rows if r.login == login), None)
    role = actor.role or ""
    if row is None:
        raise PermissionDenied(
            what,
            role,
            allowed,
            actor=login,
            reason=_(
                "{login} is not a registered actor (an admin registers people: "
                'coopflow actor add {login} --name "..." --role ...)'
            ).format(login=login),
        )
    held = _held(row.roles)
    if not row.active:
        raise PermissionDenied(
            what,
            role,
            allowed,
            actor=login,
            held=held,
            reason=_("{login} is deactivated").format(login=login),
        )
    other = next((r for r in rows if r.login != login), None)
    if other is not None:
        raise PermissionDenied(
            what,
            role,
            allowed,
            actor=login,
            held=held,
            reason=_("the database login {db_login} is {other}'s: act as {other}").format(
                db_login=db_login, other=other.login
            ),
        )
    if actor.role is not None and actor.role not in held:
        raise PermissionDenied(
            what,
            actor.role,
            allowed,
            actor=login,
            held=held,
            reason=_(
                "{login} does not hold the role {role!r} (holds {held}; an admin grants roles: "
                "coopflow actor grant {login} {role})"
            ).format(login=login, role=actor.role, held=", ".join(held) if held else _("no role")),
        )
    return login, held


def authorise(
    db: Session | Connection,
    actor: Actor,
    allowed: Sequence[str],
    what: str,
    *,
    db_login: str | None,
) -> Acting:
    """Admit ``actor`` to do ``what`` (an event or an operation), which ``allowed`` roles may
    do: registered and active (:func:`_registered`), acting in a role they hold (or, with no
    role given, the first role they hold that is allowed), and that role allowed."""
    login, held = _registered(db, actor, what, allowed, db_login)
    role = actor.role
    if role is None:
        role = next((r for r in held if r in allowed), None)
        if role is None:
            raise PermissionDenied(what, "", allowed, actor=login, held=held)
    elif role not in allowed:
        raise PermissionDenied(what, role, allowed, actor=login, held=held)
    return Acting(login, role, actor.identified_by, db_login)


def held_roles(db: Session | Connection, actor: Actor) -> tuple[str, tuple[str, ...]]:
    """The login of a registered, active actor and the roles they hold (the role they say
    they act in must be one of them)."""
    return _registered(db, actor, "act", (), None)


# ---------------------------------------------------------------------- the registry


def _find(session: Session, login: str) -> RegisteredActor:
    clean = v.login(login, "login")
    row = session.scalars(
        select(RegisteredActor).where(RegisteredActor.login_key == v.login_key(clean))
    ).one_or_none()
    if row is None:
        raise NotFoundError("actor", clean)
    return row


def _info(row: RegisteredActor) -> ActorInfo:
    return ActorInfo(row.login, row.full_name, _held(row.roles), row.active, row.db_login)


def _roles(roles: Sequence[str]) -> list[str]:
    if isinstance(roles, str) or not roles:
        raise ValidationError(_("give at least one role"), field="roles")
    return [r for r in ROLES if r in {check_role(role) for role in roles}]


def _journal(
    session: Session,
    acting: Acting,
    action: str,
    row: RegisteredActor,
    before: dict[str, Any] | None,
) -> None:
    _registry.append(
        session,
        "actors",
        acting,
        action=action,
        subject=row.login,
        before=before,
        after=_registry.actor_entry(row),
    )


def _register(
    session: Session,
    acting: Acting,
    login: str,
    full_name: str,
    roles: Sequence[str],
    db_login: str | None,
) -> RegisteredActor:
    clean = v.login(login, "login")
    name = v.text(full_name, "full_name")
    clean_roles = _roles(roles)
    clean_db = v.db_login(db_login) if db_login is not None else None
    key = v.login_key(clean)
    existing = session.scalars(
        select(RegisteredActor).where(
            or_(RegisteredActor.login_key == key, RegisteredActor.db_login == clean_db)
            if clean_db is not None
            else RegisteredActor.login_key == key
        )
    ).first()
    if existing is not None:
        if existing.login_key == key:
            raise AlreadyExistsError("actor", existing.login)
        raise AlreadyExistsError("database login", clean_db, within=existing.login)
    row = RegisteredActor(
        login=clean,
        login_key=key,
        full_name=name,
        roles=clean_roles,
        active=True,
        db_login=clean_db,
    )
    session.add(row)
    session.flush()
    _journal(session, acting, "add", row, None)
    db_roles.sync(session, row)
    return row


def add_actor(
    session: Session,
    acting: Acting,
    *,
    login: str,
    full_name: str,
    roles: Sequence[str],
    db_login: str | None = None,
) -> ActorInfo:
    """Register a person with the roles they hold."""
    return _info(_register(session, acting, login, full_name, roles, db_login))


def register_first_admin(
    session: Session,
    *,
    login: str,
    full_name: str,
    db_login: str | None,
    identified_by: str,
    writer: str | None,
) -> ActorInfo:
    """Register the first admin of an empty registry (``coopflow init`` registers whoever
    runs it); refused once anyone is registered.  ``writer``: the database login writing."""
    if session.scalar(select(RegisteredActor.id).limit(1)) is not None:
        raise ValidationError(
            _("the registry already has actors: an admin adds people with coopflow actor add"),
            field="registry",
        )
    if identified_by not in IDENTIFICATIONS:
        raise ValidationError(
            _("unknown identification {value!r}").format(value=identified_by),
            field="identified_by",
        )
    acting = Acting(v.login(login, "login"), "admin", identified_by, writer)
    return _info(_register(session, acting, login, full_name, ["admin"], db_login))


def _change(session: Session, acting: Acting, login: str, action: str, **values: Any) -> ActorInfo:
    row = _find(session, login)
    before = _registry.actor_entry(row)
    for name, value in values.items():
        setattr(row, name, value)
    after = _registry.actor_entry(row)
    if after != before:
        session.flush()
        _journal(session, acting, action, row, before)
        db_roles.sync(session, row)
    return _info(row)


def grant(session: Session, acting: Acting, login: str, role: str) -> ActorInfo:
    row = _find(session, login)
    return _change(session, acting, login, "grant", roles=_roles([*row.roles, check_role(role)]))


def revoke(session: Session, acting: Acting, login: str, role: str) -> ActorInfo:
    row = _find(session, login)
    check_role(role)
    if role not in row.roles:
        raise ValidationError(
            _("{login} does not hold the role {role!r}").format(login=row.login, role=role),
            field="role",
        )
    rest = [r for r in row.roles if r != role]
    if not rest:
        raise ValidationError(
            _("{role!r} is {login}'s only role: deactivate them instead").format(
                role=role, login=row.login
            ),
            field="role",
        )
    _last_admin(session, row, removing="admin" if role == "admin" else None)
    return _change(session, acting, login, "revoke", roles=rest)


def set_active(session: Session, acting: Acting, login: str, active: bool) -> ActorInfo:
    row = _find(session, login)
    if not active:
        _last_admin(session, row, removing="admin")
    return _change(session, acting, login, "activate" if active else "deactivate", active=active)


def _last_admin(session: Session, row: RegisteredActor, *, removing: str | None) -> None:
    """Refuse to leave the registry without an active admin (nobody could manage it)."""
    if removing != "admin" or "admin" not in row.roles or not row.active:
        return
    others = [
        a
        for a in session.scalars(select(RegisteredActor).where(RegisteredActor.active.is_(True)))
        if "admin" in a.roles and a.id != row.id
    ]
    if not others:
        raise ValidationError(
            _("{login} is the last active admin: grant admin to someone else first").format(
                login=row.login
            ),
            field="login",
        )


def login_of(session: Session, db_login: str) -> str | None:
    """The login of the actor registered with ``db_login``."""
    return session.scalar(select(RegisteredActor.login).where(RegisteredActor.db_login == db_login))


def actors(session: Session) -> list[ActorInfo]:
    return [
        _info(r) for r in session.scalars(select(RegisteredActor).order_by(RegisteredActor.login))
    ]
