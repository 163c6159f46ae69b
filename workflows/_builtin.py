"""The guards and effects the built-in workflow definitions name.

A guard returns every reason, in plain language, why its event may not be fired now (an empty
list when it may): each a :class:`coopflow.errors.Reason` with a stable ``code`` and, where one
fixes it, the exact ``coopflow`` command line to run (``command``, with the partnership's
reference filled in, and in capitals the words to replace: a date, a text) and the API call
(``call``).  A guard does not stop at its first problem: whatever can be checked is checked, so
that a step's reasons come all at once.  An effect does the event's work inside the fire's
transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import shlex
import unicodedata
from collections.abc import Iterable

from coopflow._articles import FREE
from coopflow._context import FireContext, party_name
from coopflow._domain import dialogues
from coopflow._domain.documents import journal_document
from coopflow._i18n import _, ngettext
from coopflow._vocabulary import Kind
from coopflow._workflow import Registry
from coopflow.errors import Reason, ValidationError
from coopflow.models import (
    Action,
    Amendment,
    Axis,
    Deliberation,
    Document,
    Exchange,
    FinancialCommitment,
    Indicator,
    Party,
    Protocol,
    Signatory,
)
from sqlalchemy import func, select

registry = Registry()
"""The registry of built-in guards and effects; a host extends it with ``registry.child()``."""

MIN_AXES, MAX_AXES = 2, 4


def _fold(text: str) -> str:
    """Case- and accent-insensitive form, to compare titles such as "Président"/"president"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


# ----------------------------------------------------------------------------- what fixes it


class _Blank(str):
    """A word of a command the person replaces (a date, a text), written in their language
    and in capitals: printed as it is, never quoted."""


def _date() -> _Blank:
    return _Blank(_("YYYY-MM-DD"))


def _text() -> _Blank:
    return _Blank(_("TEXT"))


def _title() -> _Blank:
    return _Blank(_("TITLE"))


def _number() -> _Blank:
    return _Blank(_("NUMBER"))


def _value() -> _Blank:
    return _Blank(_("VALUE"))


def command(*words: object) -> str:
    """The ``coopflow`` command line of ``words``, each quoted for a POSIX shell (a value with
    a space or a quote), but for the blanks (:class:`_Blank`) the person fills in."""
    shown = [w if isinstance(w, _Blank) else _quoted(str(w)) for w in words]
    return " ".join(["coopflow", *shown])


def _quoted(word: str) -> str:
    """``word`` as a POSIX shell reads it back: as it is when it holds only letters (accented
    ones too), digits and ``@%+=:,./-_``, else quoted."""
    return word if re.fullmatch(r"[\w@%+=:,./-]+", word) else shlex.quote(word)


def call(method: str, *args: object, **kwargs: object) -> str:
    """The API call ``Coopflow.method(...)``: values written as Python literals, ``...`` for
    what the caller gives (the actor, a text)."""
    shown = ["..." if a is ... else repr(a) for a in args]
    shown += [f"{k}={'...' if v is ... else repr(v)}" for k, v in kwargs.items()]
    return f"Coopflow.{method}({', '.join(shown)})"


def _fire_command(ctx: FireContext, event: str, **data: object) -> tuple[str, str]:
    """The command and the call that fire ``event`` (on the fire's programme, if any), with
    ``data`` as its inputs."""
    ref = ctx.partnership.reference
    words: list[object] = ["fire", ref, event]
    if ctx.programme is not None:
        words += ["--programme", ctx.programme.label]
    for name, value in data.items():
        shown = value.isoformat() if isinstance(value, dt.date) else value
        if isinstance(shown, bool):
            shown = "true" if shown else "false"
        words += ["--data", f"{name}={shown}"]
    kwargs: dict[str, object] = {"actor": ...}
    if ctx.programme is not None:
        kwargs["programme"] = ctx.programme.label
    if data:
        kwargs["data"] = data
    return command(*words), call("fire", ref, event, **kwargs)


def _refire(ctx: FireContext, **changed: object) -> tuple[str, str]:
    """The command and the call that fire the event again with its inputs, ``changed``."""
    data = {k: v for k, v in {**ctx.data, **changed}.items() if v is not None}
    return _fire_command(ctx, ctx.event.name, **data)


# ----------------------------------------------------------------------------- dialogue


@registry.guard("has_exchange")
def has_exchange(ctx: FireContext) -> Iterable[Reason]:
    """An exchange of its own, or of a thematic dialogue it takes part in (logged once for
    all its participants)."""
    count = ctx.session.scalar(
        select(func.count()).where(Exchange.partnership_id == ctx.partnership.id)
    )
    if not count and not dialogues.exchanges_of(ctx.session, ctx.partnership):
        ref = ctx.partnership.reference
        yield Reason(
            _("no exchange logged yet: log at least one exchange (meeting, letter, workshop)"),
            code="no_exchange",
            command=command(
                "exchange", "log", ref, "--date", _date(), "--kind", "reunion", "--summary", _text()
            ),
            call=call("log_exchange", ref, date=..., kind="reunion", summary=..., actor=...),
        )


def _axis_command(ref: str, *, title: object = None, number: int | None = None) -> tuple[str, str]:
    words: list[object] = ["axis", "add", ref, title if title is not None else _title()]
    if number is not None:
        words += ["--number", number]
    words += ["--objective", _text()]
    kwargs: dict[str, object] = {"objectives": ..., "actor": ...}
    if number is not None:
        kwargs["number"] = number
    return command(*words), call("add_axis", ref, ... if title is None else title, **kwargs)


def _commitment_command(ref: str, party: Party, axis: int | None) -> tuple[str, str]:
    number: object = axis if axis is not None else _number()
    return (
        command("commitment", "add", ref, _text(), "--axis", number, "--party", party.key),
        call(
            "add_commitment",
            ref,
            axis=... if axis is None else axis,
            party=party.key,
            text=...,
            actor=...,
        ),
    )


@registry.guard("stakes_and_commitments")
def stakes_and_commitments(ctx: FireContext) -> Iterable[Reason]:
    """At least one axis with an identified stake and a commitment from every party."""
    ref = ctx.partnership.reference
    axes = list(
        ctx.session.scalars(
            select(Axis).where(Axis.partnership_id == ctx.partnership.id).order_by(Axis.number)
        )
    )
    if not axes:
        fix, api = _axis_command(ref)
        yield Reason(_("no cooperation axis defined yet"), code="no_axis", command=fix, call=api)
        return  # stakes and commitments are entered under an axis
    parties = ctx.parties()
    staked = [a for a in axes if a.stakes]
    if not staked:
        yield Reason(
            _("no cooperation stake identified yet on any axis"),
            code="no_stake",
            command=command("stake", "add", ref, _title(), "--axis", axes[0].number),
            call=call("add_stake", ref, axis=axes[0].number, title=..., actor=...),
        )
        # A party that has committed to nothing at all is named now, not after the stake.
        for party in parties:
            if not any(c.party_id == party.id for a in axes for c in a.commitments):
                fix, api = _commitment_command(ref, party, axes[0].number)
                yield _no_staked_commitment(party, fix, api)
        return
    everyone = {p.id for p in parties}
    for axis in staked:
        if {c.party_id for c in axis.commitments} >= everyone:
            return
    # The staked axis most parties committed to: the one to complete.
    best = max(staked, key=lambda a: (len({c.party_id for c in a.commitments}), -a.number))
    for party in parties:
        if not any(c.party_id == party.id for a in staked for c in a.commitments):
            fix, api = _commitment_command(ref, party, best.number)
            yield _no_staked_commitment(party, fix, api)
    if all(any(c.party_id == p.id for a in staked for c in a.commitments) for p in parties):
        missing = next(p for p in parties if all(c.party_id != p.id for c in best.commitments))
        fix, api = _commitment_command(ref, missing, best.number)
        yield Reason(
            _("no single axis has both an identified stake and a commitment from every party"),
            code="no_axis_shared_by_every_party",
            command=fix,
            call=api,
        )


def _no_staked_commitment(party: Party, fix: str, api: str) -> Reason:
    return Reason(
        _("no commitment from {party} on an axis with an identified stake").format(
            party=party_name(party)
        ),
        code="no_commitment_on_staked_axis",
        command=fix,
        call=api,
    )


# ----------------------------------------------------------------------------- protocol


def _protocol_command(
    ctx: FireContext, proto: Protocol | None, *options: object, **api: object
) -> tuple[str, str]:
    """``coopflow protocol set`` with the protocol's period (blanks when it has none) and
    ``options``; the call :meth:`Coopflow.set_protocol` with ``api``."""
    ref = ctx.partnership.reference
    start: object = proto.period_start.isoformat() if proto is not None else _date()
    end: object = proto.period_end.isoformat() if proto is not None else _date()
    return (
        command("protocol", "set", ref, "--start", start, "--end", end, *options),
        call(
            "set_protocol",
            ref,
            start=proto.period_start.isoformat() if proto is not None else ...,
            end=proto.period_end.isoformat() if proto is not None else ...,
            **api,
            actor=...,
        ),
    )


def _party_command(party: Party, **changed: object) -> tuple[str, str]:
    """``coopflow party add KEY ... --replace``: every field of ``party`` as registered, but
    ``changed`` (``party add`` names them all, or it would forget them)."""
    fields: dict[str, object] = {
        "official_name": party.official_name,
        "usual_name": party.usual_name,
        "nature": party.nature,
        "siren": party.siren,
        "seat": party.seat,
        "deliberative_body": party.deliberative_body,
        "executive_title": party.executive_title,
        "executive_civility": party.executive_civility,
        "article": party.article,
        "usual_article": party.usual_article,
        "tribunal": party.tribunal,
        "country": party.country,
        "language": party.language,
        "original_name": party.original_name,
        "original_executive_title": party.original_executive_title,
        "original_deliberative_body": party.original_deliberative_body,
    }
    fields.update(changed)
    words: list[object] = ["party", "add", party.key]
    for name, value in fields.items():
        if value is not None:
            words += ["--" + name.replace("_", "-"), value]
    words.append("--replace")
    api = {k: (... if isinstance(v, _Blank) else v) for k, v in fields.items() if v is not None}
    return command(*words), call("add_party", party.key, **api, replace=True, actor=...)


@registry.guard("protocol_complete")
def protocol_complete(ctx: FireContext) -> Iterable[Reason]:
    """The protocol says everything a draft needs: its period, 2 to 4 axes each with an
    objective, a commitment from every party, its governance, its préambule, the court of its
    dispute article and (with a foreign authority) each party's financial commitment; every
    missing one is named at once."""
    ref = ctx.partnership.reference
    proto = ctx.protocol()
    if proto is None:
        fix, api = _protocol_command(ctx, None)
        yield Reason(
            _("the protocol has no period yet"), code="no_protocol_period", command=fix, call=api
        )
    axes = list(
        ctx.session.scalars(
            select(Axis).where(Axis.partnership_id == ctx.partnership.id).order_by(Axis.number)
        )
    )
    if not MIN_AXES <= len(axes) <= MAX_AXES:
        # Too many: an axis is given up by replacing it (--number), no command adds that up.
        few = _axis_command(ref) if len(axes) < MIN_AXES else None
        yield Reason(
            _("a protocol has {min} to {max} cooperation axes, this one has {count}").format(
                min=MIN_AXES, max=MAX_AXES, count=len(axes)
            ),
            code="axis_count",
            command=few[0] if few else None,
            call=few[1] if few else None,
        )
    for axis in axes:
        if not axis.objectives:
            fix, api = _axis_command(ref, title=axis.title, number=axis.number)
            yield Reason(
                _("axis {number} ({title}) has no objective").format(
                    number=axis.number, title=axis.title
                ),
                code="axis_without_objective",
                command=fix,
                call=api,
            )
    for party in ctx.parties():
        if not any(c.party_id == party.id for a in axes for c in a.commitments):
            fix, api = _commitment_command(ref, party, axes[0].number if axes else None)
            yield Reason(
                _("no commitment from {party}").format(party=party_name(party)),
                code="no_commitment",
                command=fix,
                call=api,
            )
    copil = proto is not None and bool(proto.governance_copil.strip())
    cotech = proto is not None and bool(proto.governance_cotech.strip())
    if not copil and not cotech:
        fix, api = _protocol_command(
            ctx, proto, "--copil", _text(), "--cotech", _text(), copil=..., cotech=...
        )
        yield Reason(
            _("the governance describes neither the COPIL nor the COTECH"),
            code="no_governance",
            command=fix,
            call=api,
        )
    elif not copil:
        fix, api = _protocol_command(ctx, proto, "--copil", _text(), copil=...)
        yield Reason(
            _("the governance does not describe the COPIL"),
            code="no_governance_copil",
            command=fix,
            call=api,
        )
    elif not cotech:
        fix, api = _protocol_command(ctx, proto, "--cotech", _text(), cotech=...)
        yield Reason(
            _("the governance does not describe the COTECH"),
            code="no_governance_cotech",
            command=fix,
            call=api,
        )
    if proto is None or not any(paragraph.strip() for paragraph in proto.preamble):
        fix, api = _protocol_command(ctx, proto, "--preamble", _text(), preamble=...)
        yield Reason(
            _(
                "the protocol has no préambule: write one (coopflow protocol set --preamble), "
                "from the stakes the dialogue identified"
            ),
            code="no_preamble",
            command=fix,
            call=api,
        )
    home = next((p for p in ctx.parties() if p.id == ctx.partnership.home_party_id), None)
    if home is not None and home.tribunal is None:
        fix, api = _party_command(
            home, tribunal=_Blank(shlex.quote("tribunal administratif de ..."))
        )
        yield Reason(
            _(
                "the dispute article names no court: give {party} its tribunal administratif "
                '(coopflow party add {key} ... --tribunal "tribunal administratif de ..." '
                "--replace)"
            ).format(party=party_name(home), key=home.key),
            code="no_tribunal",
            command=fix,
            call=api,
        )
    yield from _financial_reasons(ctx)


def _financial_reasons(ctx: FireContext) -> Iterable[Reason]:
    """CGCT L.1115-1: with a foreign authority, every party's planned financial commitment."""
    parties = ctx.parties()
    if not any(p.nature == "ETRANGER" for p in parties):
        return
    stated = set(
        ctx.session.scalars(
            select(FinancialCommitment.party_id).where(
                FinancialCommitment.partnership_id == ctx.partnership.id
            )
        )
    )
    ref = ctx.partnership.reference
    for party in parties:
        if party.id not in stated:
            yield Reason(
                _(
                    "a cooperation with a foreign authority states each party's planned "
                    "financial commitment (CGCT L.1115-1): none for {party} "
                    "(coopflow protocol money {reference} {key} AMOUNT)"
                ).format(party=party_name(party), reference=ref, key=party.key),
                code="no_financial_commitment",
                command=command("protocol", "money", ref, party.key, _Blank(_("AMOUNT"))),
                call=call("set_financial_commitment", ref, party=party.key, amount=..., actor=...),
            )


def _produce(ctx: FireContext, kind: Kind, subject: str, *, final: bool) -> Document:
    """Render and store a document of the fire's partnership, as the acting person, within the
    fire's transaction (or the latest version, if nothing changed since)."""
    return ctx.documents.produce(
        ctx.session,
        ctx.partnership,
        kind,
        subject,
        final=final,
        created_by=ctx.actor.id,
        produced=ctx.produced,
    )


@registry.effect("render_protocol_draft")
def render_protocol_draft(ctx: FireContext) -> None:
    doc = _produce(ctx, "protocole", "", final=False)
    ctx.document_sha256 = doc.sha256
    ctx.record["document_version"] = doc.version


@registry.guard("approves_latest_document")
def approves_latest_document(ctx: FireContext) -> Iterable[Reason]:
    ref = ctx.partnership.reference
    latest = ctx.documents.latest(ctx.session, ctx.partnership, "protocole", "")
    if latest is None:
        yield Reason(
            _("no protocol document has been rendered yet"),
            code="no_protocol_document",
            command=command("render", ref),
            call=call("render", ref, "protocole", actor=...),
        )
        return
    yield from _latest_reasons(
        ctx,
        latest,
        ctx.documents.current_content_sha256(ctx.session, ctx.partnership),
        changed=Reason(
            _(
                "the protocol changed after version {version} was rendered: render it again "
                "and approve the new version"
            ).format(version=latest.version),
            code="protocol_changed_since_render",
            command=command("render", ref),
            call=call("render", ref, "protocole", actor=...),
        ),
        avenant=None,
    )


def _latest_reasons(
    ctx: FireContext, latest: Document, current: str, *, changed: Reason, avenant: int | None
) -> Iterable[Reason]:
    """What an approval of ``latest`` (the latest document of the protocol, or of avenant
    n° ``avenant``) is refused for: the data says something else now (``changed``), or the
    SHA-256 given names another document."""
    if latest.content_sha256 != current:
        yield changed
    wanted = ctx.data.get("document_sha256")
    if wanted is not None and wanted != latest.sha256:
        if avenant is None:
            message = _(
                "document {wanted}… is not the latest protocol version (the latest is version "
                "{version}, {latest})"
            )
        else:
            message = _(
                "document {wanted}… is not the latest version of avenant n° {number} (the "
                "latest is version {version}, {latest})"
            )
        fix, api = _refire(ctx, document_sha256=latest.sha256)
        yield Reason(
            message.format(
                wanted=wanted[:12], version=latest.version, latest=latest.sha256, number=avenant
            ),
            code="not_the_latest_document",
            command=fix,
            call=api,
        )


@registry.effect("approve_protocol")
def approve_protocol(ctx: FireContext) -> None:
    latest = ctx.documents.latest(ctx.session, ctx.partnership, "protocole", "")
    proto = ctx.protocol()
    assert latest is not None  # the guard checked both
    assert proto is not None
    proto.approved_document_sha256 = latest.sha256
    proto.approved_content_sha256 = latest.content_sha256
    ctx.document_sha256 = latest.sha256
    ctx.record["document_version"] = latest.version
    ctx.record["content_sha256"] = latest.content_sha256


def _approval_reasons(ctx: FireContext) -> Iterable[Reason]:
    proto = ctx.protocol()
    fix, api = _fire_command(ctx, "resoumettre_revue_juridique")
    if proto is None or proto.approved_content_sha256 is None:
        yield Reason(
            _("the legal department has not approved a protocol document"),
            code="protocol_not_approved",
            command=fix,
            call=api,
        )
        return
    current = ctx.documents.current_content_sha256(ctx.session, ctx.partnership)
    if current != proto.approved_content_sha256:
        yield Reason(
            _(
                "the protocol changed after the legal department approved document "
                "{document}: fire resoumettre_revue_juridique"
            ).format(document=proto.approved_document_sha256),
            code="protocol_changed_since_approval",
            command=fix,
            call=api,
        )


@registry.guard("approval_still_valid")
def approval_still_valid(ctx: FireContext) -> Iterable[Reason]:
    yield from _approval_reasons(ctx)


def _deliberation_command(
    ctx: FireContext, party: Party, amendment: Amendment | None, row: Deliberation | None
) -> tuple[str, str]:
    """``coopflow deliberation record`` for ``party``'s délibération (``row``, to complete, or
    a new one): what is known filled in, the rest left blank.  A foreign authority's decision
    is sent to no prefecture."""
    ref = ctx.partnership.reference
    foreign = party.nature == "ETRANGER"

    def known(day: dt.date | None) -> object:
        return day.isoformat() if day is not None else _date()

    words: list[object] = ["deliberation", "record", ref, "--party", party.key]
    words += ["--number", row.number if row is not None else _number()]
    words += ["--sitting-date", known(row.sitting_date if row is not None else None)]
    if not foreign:
        words += ["--sent-to-prefecture", known(row.sent_to_prefecture if row else None)]
    words += ["--published", known(row.published if row is not None else None)]
    kwargs: dict[str, object] = {"party": party.key, "number": ..., "sitting_date": ...}
    if not foreign:
        kwargs["sent_to_prefecture"] = ...
    kwargs["published"] = ...
    if amendment is not None:
        words += ["--avenant", amendment.number]
        kwargs["amendment"] = amendment.number
    return command(*words), call("record_deliberation", ref, **kwargs, actor=...)


def _deliberation_reasons(  # noqa: PLR0912 - one reason per case, each with its fix
    ctx: FireContext, amendment: Amendment | None
) -> Iterable[Reason]:
    """Every party's délibération approves the version the legal department approved last and
    is exécutoire by the signature date (a foreign authority's decision: its own body's, on
    its own date, with no French prefecture)."""
    number = 0 if amendment is None else amendment.number
    rows = {
        d.party_id: d
        for d in ctx.session.scalars(
            select(Deliberation).where(
                Deliberation.partnership_id == ctx.partnership.id,
                Deliberation.amendment == number,
            )
        )
    }
    signing: dt.date | None = ctx.data.get("date_signature")
    if amendment is None:
        proto = ctx.protocol()
        approved = proto.approved_document_sha256 if proto is not None else None
    else:  # an avenant the legal department approved (workflow v2; none under v1)
        approved = amendment.approved_document_sha256
    for party in ctx.parties():
        d = rows.get(party.id)
        name = party_name(party)
        if d is None:
            fix, api = _deliberation_command(ctx, party, amendment, None)
            if amendment is None:
                message = _("no délibération of {party} approving the protocol")
            else:
                message = _("no délibération of {party} approving avenant n° {number}")
            yield Reason(
                message.format(party=name, number=number),
                code="no_deliberation",
                command=fix,
                call=api,
            )
            continue
        if approved is not None and d.document_sha256 != approved:
            fix, api = _deliberation_command(ctx, party, amendment, None)
            yield Reason(
                _(
                    "délibération n° {number} of {party} (sitting of {sitting}) approved "
                    "document {document}, not the version the legal department approved last "
                    "({approved}): its council must deliberate again on that version, and the "
                    "new délibération be recorded"
                ).format(
                    number=d.number,
                    party=name,
                    sitting=d.sitting_date.isoformat(),
                    document=d.document_sha256,
                    approved=approved,
                ),
                code="deliberation_on_another_version",
                command=fix,
                call=api,
            )
        if d.foreign_decision:
            # The decision of the foreign authority's own body takes effect on its own date.
            effective = max(d.sitting_date, d.published or d.sitting_date)
            if signing is not None and effective > signing:
                yield Reason(
                    _(
                        "the decision n° {number} of {party}'s {body} takes effect on "
                        "{effective}, after the signature date {signing}"
                    ).format(
                        number=d.number,
                        party=name,
                        body=party.deliberative_body,
                        effective=effective.isoformat(),
                        signing=signing.isoformat(),
                    ),
                    code="decision_effective_after_signature",
                )
            continue
        if d.sent_to_prefecture is None or d.published is None:
            if d.sent_to_prefecture is None and d.published is None:
                message = _(
                    "no délibération exécutoire for {party}: délibération n° {number} is not "
                    "sent to the prefecture and not published"
                )
            elif d.sent_to_prefecture is None:
                message = _(
                    "no délibération exécutoire for {party}: délibération n° {number} is not "
                    "sent to the prefecture"
                )
            else:
                message = _(
                    "no délibération exécutoire for {party}: délibération n° {number} is not "
                    "published"
                )
            fix, api = _deliberation_command(ctx, party, amendment, d)
            yield Reason(
                message.format(party=name, number=d.number),
                code="deliberation_not_executoire",
                command=fix,
                call=api,
            )
        elif signing is not None:
            effective = max(d.sent_to_prefecture, d.published)
            if effective > signing:
                yield Reason(
                    _(
                        "délibération n° {number} of {party} becomes exécutoire on "
                        "{effective}, after the signature date {signing}"
                    ).format(
                        number=d.number,
                        party=name,
                        effective=effective.isoformat(),
                        signing=signing.isoformat(),
                    ),
                    code="deliberation_executoire_after_signature",
                )


@registry.guard("deliberations_executoire")
def deliberations_executoire(ctx: FireContext) -> Iterable[Reason]:
    yield from _deliberation_reasons(ctx, None)


def _signatory_command(
    ctx: FireContext, party: Party, row: Signatory | None, **changed: object
) -> tuple[str, str]:
    """``coopflow signatory set`` for ``party``: the signatory as registered (``row``; blanks
    for a new one), but ``changed`` (``title``, ``civility``)."""
    ref = ctx.partnership.reference
    fields: dict[str, object] = {
        "first_name": row.first_name if row is not None else _Blank(_("FIRST_NAME")),
        "last_name": row.last_name if row is not None else _Blank(_("LAST_NAME")),
        "title": row.title if row is not None else party.executive_title,
        "civility": (row.civility if row is not None else None)
        or party.executive_civility
        or _Blank(_("CIVILITY")),
        "delegation_number": row.delegation_number if row is not None else None,
        "delegation_date": row.delegation_date if row is not None else None,
        "login": row.login if row is not None else None,
    }
    fields.update(changed)
    words: list[object] = ["signatory", "set", ref, "--party", party.key]
    api: dict[str, object] = {"party": party.key}
    for name, value in fields.items():
        if value is None:
            continue
        shown = value.isoformat() if isinstance(value, dt.date) else value
        words += ["--" + name.replace("_", "-"), shown]
        api[name] = ... if isinstance(shown, _Blank) else shown
    return command(*words), call("set_signatory", ref, **api, actor=...)


@registry.guard("signatories_match")
def signatories_match(ctx: FireContext) -> Iterable[Reason]:
    rows = {
        s.party_id: s
        for s in ctx.session.scalars(
            select(Signatory).where(Signatory.partnership_id == ctx.partnership.id)
        )
    }
    signing: dt.date | None = ctx.data.get("date_signature")
    for party in ctx.parties():
        s = rows.get(party.id)
        name = party_name(party)
        if s is None:
            fix, api = _signatory_command(ctx, party, None)
            yield Reason(
                _("no signatory for {party}").format(party=name),
                code="no_signatory",
                command=fix,
                call=api,
            )
            continue
        who = {"party": name, "name": f"{s.first_name} {s.last_name.upper()}"}
        if s.civility is None:
            fix, api = _signatory_command(
                ctx, party, s, civility=party.executive_civility or _Blank(_("CIVILITY"))
            )
            yield Reason(
                _(
                    "the signatory of {party}, {name}, has no civility (Madame or Monsieur): "
                    "the documents need it"
                ).format(**who),
                code="signatory_without_civility",
                command=fix,
                call=api,
            )
        if s.delegation_number is None and _fold(s.title) not in {
            _fold(party.executive_title),
            _fold(party.executive_title) + "e",
        }:
            fix, api = _signatory_command(ctx, party, s, title=party.executive_title)
            yield Reason(
                _(
                    "the signatory of {party}, {name}, is {title!r}, but its executive is "
                    "{executive!r}: name the executive, or the arrêté by which they delegated "
                    "the signature"
                ).format(**who, title=s.title, executive=party.executive_title),
                code="signatory_not_the_executive",
                command=fix,
                call=api,
            )
        if s.delegation_date is not None and signing is not None and s.delegation_date > signing:
            yield Reason(
                _(
                    "the signatory of {party}, {name}, signs by delegation under arrêté n° "
                    "{number} of {date}, after the signature date {signing}"
                ).format(
                    **who,
                    number=s.delegation_number,
                    date=s.delegation_date.isoformat(),
                    signing=signing.isoformat(),
                ),
                code="delegation_after_signature",
            )


@registry.guard("signature_date_valid")
def signature_date_valid(ctx: FireContext) -> Iterable[Reason]:
    """A signature is not in the future, falls inside the protocol's period and (an avenant's)
    not before the protocol's own signature; the délibérations' guards check it comes after
    they became exécutoire."""
    signing: dt.date | None = ctx.data.get("date_signature")
    if signing is None:
        return  # only checking: the date is not known yet
    if signing > ctx.today:
        yield Reason(
            _(
                "the signature date {signing} is in the future (today is {today}): record the "
                "signature once it has taken place"
            ).format(signing=signing.isoformat(), today=ctx.today.isoformat()),
            code="signature_in_the_future",
        )
    proto = ctx.protocol()
    if proto is None:
        return
    if not proto.period_start <= signing <= proto.period_end:
        yield Reason(
            _(
                "the signature date {signing} is outside the protocol's period {start} – "
                "{end}: sign within it, or change the period (which goes back through legal "
                "review)"
            ).format(
                signing=signing.isoformat(),
                start=proto.period_start.isoformat(),
                end=proto.period_end.isoformat(),
            ),
            code="signature_outside_the_period",
        )
    if proto.signature_date is not None and signing < proto.signature_date:
        yield Reason(
            _(
                "the signature date {signing} is before the protocol's own signature ({signed})"
            ).format(signing=signing.isoformat(), signed=proto.signature_date.isoformat()),
            code="signature_before_the_protocol",
        )


def _record_signature(ctx: FireContext, proto: Protocol) -> None:
    proto.signature_date = ctx.data["date_signature"]
    place = ctx.data.get("lieu")
    if place is None:
        home = next(p for p in ctx.parties() if p.id == ctx.partnership.home_party_id)
        place = home.seat
    proto.signature_place = place


@registry.effect("sign_protocol")
def sign_protocol(ctx: FireContext) -> None:
    proto = ctx.protocol()
    assert proto is not None
    _record_signature(ctx, proto)
    ctx.session.flush()
    doc = _produce(ctx, "protocole", "", final=True)
    proto.signed_document_sha256 = doc.sha256
    ctx.document_sha256 = doc.sha256
    ctx.record["approved_document_sha256"] = proto.approved_document_sha256
    ctx.record["content_sha256"] = doc.content_sha256
    ctx.record["document_version"] = doc.version


# ----------------------------------------------------------------------------- avenants


def _open_amendment(ctx: FireContext) -> Amendment | None:
    """The avenant in progress: neither signed nor withdrawn."""
    return ctx.session.scalars(
        select(Amendment)
        .where(
            Amendment.partnership_id == ctx.partnership.id,
            Amendment.signed_on.is_(None),
            Amendment.withdrawn_on.is_(None),
        )
        .order_by(Amendment.number.desc())
        .limit(1)
    ).one_or_none()


@registry.effect("open_amendment")
def open_amendment(ctx: FireContext) -> None:
    # After the last avenant, signed or withdrawn: a withdrawn number is never given again.
    last = ctx.session.scalar(
        select(func.max(Amendment.number)).where(Amendment.partnership_id == ctx.partnership.id)
    )
    number = (last or 0) + 1
    ctx.session.add(
        Amendment(
            partnership_id=ctx.partnership.id, number=number, subject=ctx.data["objet"], changes=[]
        )
    )
    ctx.record["avenant"] = number


def _no_avenant(drafted: bool) -> Reason:
    if drafted:
        return Reason(_("no avenant is being drafted"), code="no_avenant")
    return Reason(_("no avenant is in progress"), code="no_avenant")


@registry.guard("amendment_ready")
def amendment_ready(ctx: FireContext) -> Iterable[Reason]:
    ref = ctx.partnership.reference
    amendment = _open_amendment(ctx)
    if amendment is None:
        yield _no_avenant(True)
        return
    n = amendment.number
    if not amendment.changes:
        yield Reason(
            _("avenant n° {number} lists no change to the protocol").format(number=n),
            code="avenant_without_change",
            command=command(
                "avenant", "change", ref, _Blank(_("OPERATION")), _Blank(_("ARTICLE")), _text()
            ),
            call=call("add_amendment_change", ref, ..., ..., text=..., actor=...),
        )
    free = [i for i, c in enumerate(amendment.changes, 1) if c.get("operation") == FREE]
    if free:
        listed = ", ".join(str(i) for i in free)
        yield Reason(
            ngettext(
                "avenant n° {number}: change {listed} does not aim at an article (written "
                "before changes were structured): write it again as rediger, completer, "
                "inserer or abroger",
                "avenant n° {number}: changes {listed} do not aim at an article (written "
                "before changes were structured): write them again as rediger, completer, "
                "inserer or abroger",
                len(free),
            ).format(number=n, listed=listed),
            code="avenant_change_without_article",
            # Removed from the last, the numbers of the others stay as listed.
            command=command("avenant", "remove-change", ref, free[-1]),
            call=call("remove_amendment_change", ref, free[-1], actor=...),
        )
    if not amendment.motives.strip():
        yield Reason(
            _(
                "avenant n° {number} has no exposé des motifs "
                "(coopflow avenant motives REFERENCE TEXT)"
            ).format(number=n),
            code="avenant_without_motives",
            command=command("avenant", "motives", ref, _text()),
            call=call("set_amendment_motives", ref, ..., actor=...),
        )


@registry.effect("render_avenant_draft")
def render_avenant_draft(ctx: FireContext) -> None:
    amendment = _open_amendment(ctx)
    assert amendment is not None
    doc = _produce(ctx, "avenant", str(amendment.number), final=False)
    ctx.document_sha256 = doc.sha256
    ctx.record["avenant"] = amendment.number


@registry.guard("approves_latest_avenant")
def approves_latest_avenant(ctx: FireContext) -> Iterable[Reason]:
    """The legal department approves the latest document of the avenant in progress, and only
    while it still says what the avenant says."""
    amendment = _open_amendment(ctx)
    if amendment is None:
        yield _no_avenant(False)
        return
    n = amendment.number
    ref = ctx.partnership.reference
    render = command("render", ref, "--kind", "avenant", "--subject", n)
    render_call = call("render", ref, "avenant", subject=str(n), actor=...)
    latest = ctx.documents.latest(ctx.session, ctx.partnership, "avenant", str(n))
    if latest is None:
        yield Reason(
            _("no document of avenant n° {number} has been rendered yet").format(number=n),
            code="no_avenant_document",
            command=render,
            call=render_call,
        )
        return
    yield from _latest_reasons(
        ctx,
        latest,
        ctx.documents.current_avenant_content_sha256(ctx.session, ctx.partnership, n),
        changed=Reason(
            _(
                "avenant n° {number} changed after version {version} was rendered: render it "
                "again (coopflow render {reference} --kind avenant --subject {number}) and "
                "approve the new version"
            ).format(number=n, version=latest.version, reference=ref),
            code="avenant_changed_since_render",
            command=render,
            call=render_call,
        ),
        avenant=n,
    )


@registry.effect("approve_amendment")
def approve_amendment(ctx: FireContext) -> None:
    amendment = _open_amendment(ctx)
    assert amendment is not None  # the guard checked it
    latest = ctx.documents.latest(ctx.session, ctx.partnership, "avenant", str(amendment.number))
    assert latest is not None
    amendment.approved_document_sha256 = latest.sha256
    amendment.approved_content_sha256 = latest.content_sha256
    ctx.document_sha256 = latest.sha256
    ctx.record["avenant"] = amendment.number
    ctx.record["document_version"] = latest.version
    ctx.record["content_sha256"] = latest.content_sha256


@registry.guard("amendment_approval_still_valid")
def amendment_approval_still_valid(ctx: FireContext) -> Iterable[Reason]:
    amendment = _open_amendment(ctx)
    if amendment is None:
        yield _no_avenant(False)
        return
    n = amendment.number
    fix, api = _fire_command(ctx, "resoumettre_avenant")
    if amendment.approved_content_sha256 is None:
        yield Reason(
            _(
                "the legal department has not approved a document of avenant n° {number}: "
                "submit it to its review (resoumettre_avenant), for it to approve one"
            ).format(number=n),
            code="avenant_not_approved",
            command=fix,
            call=api,
        )
        return
    current = ctx.documents.current_avenant_content_sha256(ctx.session, ctx.partnership, n)
    if current != amendment.approved_content_sha256:
        yield Reason(
            _(
                "avenant n° {number} changed after the legal department approved document "
                "{document}: fire resoumettre_avenant"
            ).format(number=n, document=amendment.approved_document_sha256),
            code="avenant_changed_since_approval",
            command=fix,
            call=api,
        )


@registry.guard("amendment_deliberations_executoire")
def amendment_deliberations_executoire(ctx: FireContext) -> Iterable[Reason]:
    amendment = _open_amendment(ctx)
    if amendment is None:
        yield _no_avenant(True)
        return
    yield from _deliberation_reasons(ctx, amendment)


@registry.effect("withdraw_amendment")
def withdraw_amendment(ctx: FireContext) -> None:
    """The avenant in progress is withdrawn (kept, with the day and the reason): the protocol
    stays as it was, and the next avenant takes the next number."""
    amendment = _open_amendment(ctx)
    if amendment is None:
        raise ValidationError(_("no avenant is in progress"), field="event")
    amendment.withdrawn_on = ctx.today
    amendment.withdrawal_reason = ctx.data["motif"]
    ctx.record["avenant"] = amendment.number
    ctx.record["withdrawn"] = True


@registry.effect("sign_amendment")
def sign_amendment(ctx: FireContext) -> None:
    amendment = _open_amendment(ctx)
    assert amendment is not None
    amendment.signed_on = ctx.data["date_signature"]
    ctx.session.flush()
    doc = _produce(ctx, "avenant", str(amendment.number), final=True)
    amendment.signed_document_sha256 = doc.sha256
    ctx.document_sha256 = doc.sha256
    ctx.record["avenant"] = amendment.number
    if amendment.approved_document_sha256 is not None:  # reviewed by legal (workflow v2)
        ctx.record["approved_avenant_sha256"] = amendment.approved_document_sha256
    # What people read afterwards: the protocol as amended, a document of its own, with a
    # journal record of its own (a fire's record names one document).  Not when an earlier
    # avenant was written before changes aimed at articles: it cannot be consolidated.
    if not ctx.documents.can_consolidate(ctx.session, ctx.partnership, amendment.number):
        return
    produced = len(ctx.produced)
    consolidated = _produce(ctx, "consolide", str(amendment.number), final=True)
    if len(ctx.produced) > produced:  # not already stored (nothing changed since)
        assert ctx.acting is not None, "a fire identifies who acts"
        journal_document(ctx.session, ctx.partnership, consolidated, ctx.acting, at=ctx.now)
    ctx.record["consolidated_sha256"] = consolidated.sha256


# ----------------------------------------------------------------------------- end of life


@registry.guard("protocol_ended")
def protocol_ended(ctx: FireContext) -> Iterable[Reason]:
    proto = ctx.protocol()
    if proto is not None and proto.period_end >= ctx.today:
        # The end date is the protocol's last day in force: it expires the day after.
        yield Reason(
            _("the protocol runs until {end} inclusive").format(end=proto.period_end.isoformat()),
            code="protocol_not_ended",
        )


@registry.guard("effective_date_not_past")
def effective_date_not_past(ctx: FireContext) -> Iterable[Reason]:
    when: dt.date | None = ctx.data.get("date_effet")
    if when is not None and when < ctx.today:
        fix, api = _refire(ctx, date_effet=_date())
        yield Reason(
            _("the termination cannot take effect in the past ({date})").format(
                date=when.isoformat()
            ),
            code="termination_effect_in_the_past",
            command=fix,
            call=api,
        )


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, on the same day of the month or, when that
    month is shorter, its last day (30 November plus 3 months: 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


@registry.guard("termination_notice")
def termination_notice(ctx: FireContext) -> Iterable[Reason]:
    """A termination is notified (not in the future) before it takes effect; a unilateral one
    takes effect no sooner than the notice the protocol states after it was notified."""
    notified: dt.date | None = ctx.data.get("date_notification")
    effect: dt.date | None = ctx.data.get("date_effet")
    mutual = bool(ctx.data.get("commun_accord", False))
    if notified is None:
        return  # only checking: the dates are not known yet
    if notified > ctx.today:
        yield Reason(
            _(
                "the termination cannot be notified in the future ({notified}, today is "
                "{today}): record it once it has been notified to the parties"
            ).format(notified=notified.isoformat(), today=ctx.today.isoformat()),
            code="termination_notified_in_the_future",
        )
    if effect is None:
        return
    if effect < notified:
        yield Reason(
            _(
                "the termination would take effect on {effect}, before it was notified ({notified})"
            ).format(effect=effect.isoformat(), notified=notified.isoformat()),
            code="termination_effect_before_notice",
        )
        return  # no notice can be counted from it
    if mutual:
        return
    proto = ctx.protocol()
    months = proto.notice_months if proto is not None else 3
    earliest = add_months(notified, months)
    if effect < earliest:
        fix, api = _refire(ctx, date_effet=earliest)
        yield Reason(
            ngettext(
                "a unilateral termination gives the notice the protocol states ({n} month): "
                "notified on {notified}, it takes effect on {earliest} at the earliest, not "
                "{effect}; if the parties agree to end it sooner, record a termination by "
                "mutual agreement (commun_accord)",
                "a unilateral termination gives the notice the protocol states ({n} months): "
                "notified on {notified}, it takes effect on {earliest} at the earliest, not "
                "{effect}; if the parties agree to end it sooner, record a termination by "
                "mutual agreement (commun_accord)",
                months,
            ).format(
                n=months,
                notified=notified.isoformat(),
                earliest=earliest.isoformat(),
                effect=effect.isoformat(),
            ),
            code="termination_notice_too_short",
            command=fix,
            call=api,
        )


@registry.effect("record_termination")
def record_termination(ctx: FireContext) -> None:
    """The record says which termination it is: by mutual agreement, or unilateral with the
    notice it gave."""
    if ctx.data.get("commun_accord", False):
        ctx.record["termination"] = "mutual"
        return
    proto = ctx.protocol()
    ctx.record["termination"] = "unilateral"
    ctx.record["notice_months"] = proto.notice_months if proto is not None else 3


@registry.effect("create_successor")
def create_successor(ctx: FireContext) -> None:
    start: dt.date = ctx.data["debut"]
    end: dt.date = ctx.data["fin"]
    if end <= start:
        raise ValidationError(_("must be after data.debut"), field="data.fin")
    from coopflow._domain.partnerships import renew_partnership

    successor = renew_partnership(ctx, start, end)
    ctx.record["successor"] = successor.reference


# ----------------------------------------------------------------------------- programmes


def _action_command(ctx: FireContext) -> tuple[str, str]:
    """``coopflow action add`` for a new action of the fire's programme."""
    assert ctx.programme is not None
    ref, label = ctx.partnership.reference, ctx.programme.label
    return (
        command(
            "action",
            "add",
            ref,
            label,
            "--axis",
            _number(),
            "--title",
            _title(),
            "--lead",
            _Blank(_("PARTY")),
        ),
        call("add_action", ref, label, axis=..., title=..., lead=..., actor=...),
    )


def _no_action(ctx: FireContext) -> Reason:
    assert ctx.programme is not None
    fix, api = _action_command(ctx)
    return Reason(
        _("programme {label} has no action").format(label=ctx.programme.label),
        code="programme_without_action",
        command=fix,
        call=api,
    )


@registry.guard("programme_has_actions")
def programme_has_actions(ctx: FireContext) -> Iterable[Reason]:
    assert ctx.programme is not None
    count = ctx.session.scalar(select(func.count()).where(Action.programme_id == ctx.programme.id))
    if not count:
        yield _no_action(ctx)


def _replace_action(ctx: FireContext, action: Action, **changed: object) -> tuple[str, str]:
    """``coopflow action add ... --number N``: action ``N`` as it is (``action add`` replaces
    it whole), but ``changed``."""
    assert ctx.programme is not None
    ref, label = ctx.partnership.reference, ctx.programme.label
    axis = ctx.session.get(Axis, action.axis_id)
    lead = ctx.session.get(Party, action.lead_party_id) if action.lead_party_id else None
    fields: dict[str, object] = {
        "axis": axis.number if axis is not None else _number(),
        "title": action.title,
        "objectives": action.objectives or None,
        "lead": lead.key if lead is not None else None,
        "contact": action.contact,
        "pilot_name": action.pilot_name,
        "pilot_function": action.pilot_function,
        "pilot_email": action.pilot_email,
    }
    fields.update(changed)
    words: list[object] = ["action", "add", ref, label]
    api: dict[str, object] = {}
    for name, value in fields.items():
        if value is not None:
            words += ["--" + name.replace("_", "-"), value]
            api[name] = ... if isinstance(value, _Blank) else value
    for partner in action.partners:
        words += ["--partner", partner]
    if action.partners:
        api["partners"] = list(action.partners)
    words += ["--number", action.number]
    return command(*words), call("add_action", ref, label, **api, number=action.number, actor=...)


def _indicator_command(
    ctx: FireContext, action: int, indicator: Indicator | None
) -> tuple[str, str]:
    """``coopflow indicator set``: a new indicator of ``action``, or the measured value of
    ``indicator``."""
    assert ctx.programme is not None
    ref, label = ctx.partnership.reference, ctx.programme.label
    if indicator is None:
        return (
            command(
                "indicator",
                "set",
                ref,
                label,
                action,
                "--name",
                _Blank(_("NAME")),
                "--target",
                _value(),
            ),
            call("add_indicator", ref, label, action, name=..., target=..., actor=...),
        )
    words: list[object] = ["indicator", "set", ref, label, action, "--name", indicator.name]
    words += ["--target", indicator.target]
    if indicator.unit:
        words += ["--unit", indicator.unit]
    words += ["--actual", _value()]
    return command(*words), call(
        "add_indicator",
        ref,
        label,
        action,
        name=indicator.name,
        target=str(indicator.target),
        **({"unit": indicator.unit} if indicator.unit else {}),
        actual=...,
        actor=...,
    )


@registry.guard("programme_approvable")
def programme_approvable(ctx: FireContext) -> Iterable[Reason]:
    prog = ctx.programme
    assert prog is not None
    ref = ctx.partnership.reference
    if not ctx.in_state_with("in_force"):
        yield Reason(
            _("the protocol is not in force (the partnership is {state})").format(
                state=ctx.partnership.state
            ),
            code="protocol_not_in_force",
        )
    proto = ctx.protocol()
    if proto is not None and not (
        proto.period_start <= prog.period_start and prog.period_end <= proto.period_end
    ):
        start = max(prog.period_start, proto.period_start)
        end = min(prog.period_end, proto.period_end)
        within = start <= end  # the part of the programme inside the protocol's period
        yield Reason(
            _(
                "the programme's period {start} – {end} is not inside the protocol's "
                "{protocol_start} – {protocol_end}"
            ).format(
                start=prog.period_start.isoformat(),
                end=prog.period_end.isoformat(),
                protocol_start=proto.period_start.isoformat(),
                protocol_end=proto.period_end.isoformat(),
            ),
            code="programme_outside_the_protocol",
            command=command(
                "programme",
                "add",
                ref,
                prog.label,
                "--start",
                start.isoformat() if within else _date(),
                "--end",
                end.isoformat() if within else _date(),
            ),
            call=call(
                "add_programme",
                ref,
                prog.label,
                start=start.isoformat() if within else ...,
                end=end.isoformat() if within else ...,
                actor=...,
            ),
        )
    actions = list(
        ctx.session.scalars(
            select(Action).where(Action.programme_id == prog.id).order_by(Action.number)
        )
    )
    copil: dt.date | None = ctx.data.get("date_copil")
    if copil is not None and copil > ctx.today:
        yield Reason(
            _(
                "the COPIL date {date} is in the future (today is {today}): record the approval "
                "once the COPIL has met"
            ).format(date=copil.isoformat(), today=ctx.today.isoformat()),
            code="copil_in_the_future",
        )
    if not actions:
        yield _no_action(ctx)
    for action in actions:
        if action.lead_party_id is None:
            fix, api = _replace_action(ctx, action, lead=_Blank(_("PARTY")))
            yield Reason(
                _("action {number} ({title}) has no lead party").format(
                    number=action.number, title=action.title
                ),
                code="action_without_lead",
                command=fix,
                call=api,
            )
        if not action.indicators:
            fix, api = _indicator_command(ctx, action.number, None)
            yield Reason(
                _("action {number} ({title}) has no indicator").format(
                    number=action.number, title=action.title
                ),
                code="action_without_indicator",
                command=fix,
                call=api,
            )


@registry.effect("approve_programme")
def approve_programme(ctx: FireContext) -> None:
    prog = ctx.programme
    assert prog is not None
    prog.copil_date = ctx.data["date_copil"]
    ctx.session.flush()
    doc = _produce(ctx, "programme", prog.label, final=True)
    ctx.document_sha256 = doc.sha256
    ctx.record["document_version"] = doc.version


@registry.guard("indicators_measured")
def indicators_measured(ctx: FireContext) -> Iterable[Reason]:
    prog = ctx.programme
    assert prog is not None
    rows = ctx.session.execute(
        select(Action.number, Indicator)
        .join(Indicator, Indicator.action_id == Action.id)
        .where(Action.programme_id == prog.id, Indicator.actual.is_(None))
        .order_by(Action.number, Indicator.id)
    )
    for number, indicator in rows:
        fix, api = _indicator_command(ctx, number, indicator)
        yield Reason(
            _("indicator {name!r} of action {number} has no measured value").format(
                name=indicator.name, number=number
            ),
            code="indicator_not_measured",
            command=fix,
            call=api,
        )
