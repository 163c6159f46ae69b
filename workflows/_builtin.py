"""The guards and effects the built-in workflow definitions name.

A guard returns every reason, in plain language, why its event may not be fired now (an empty
list when it may).  An effect does the event's work inside the fire's transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import unicodedata
from collections.abc import Iterable

from coopflow._articles import FREE
from coopflow._context import FireContext, party_name
from coopflow._domain import dialogues
from coopflow._domain.documents import journal_document
from coopflow._vocabulary import Kind
from coopflow._workflow import Registry
from coopflow.errors import ValidationError
from coopflow.models import (
    Action,
    Amendment,
    Axis,
    Deliberation,
    Document,
    Exchange,
    FinancialCommitment,
    Indicator,
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


# ----------------------------------------------------------------------------- dialogue


@registry.guard("has_exchange")
def has_exchange(ctx: FireContext) -> Iterable[str]:
    """An exchange of its own, or of a thematic dialogue it takes part in (logged once for
    all its participants)."""
    count = ctx.session.scalar(
        select(func.count()).where(Exchange.partnership_id == ctx.partnership.id)
    )
    if not count and not dialogues.exchanges_of(ctx.session, ctx.partnership):
        yield "no exchange logged yet: log at least one exchange (meeting, letter, workshop)"


@registry.guard("stakes_and_commitments")
def stakes_and_commitments(ctx: FireContext) -> Iterable[str]:
    """At least one axis with an identified stake and a commitment from every party."""
    axes = list(ctx.session.scalars(select(Axis).where(Axis.partnership_id == ctx.partnership.id)))
    if not axes:
        yield "no cooperation axis defined yet"
        return
    staked = [a for a in axes if a.stakes]
    if not staked:
        yield "no cooperation stake identified yet on any axis"
        return
    parties = ctx.parties()
    for axis in staked:
        if {c.party_id for c in axis.commitments} >= {p.id for p in parties}:
            return
    for party in parties:
        if not any(c.party_id == party.id for a in staked for c in a.commitments):
            yield f"no commitment from {party_name(party)} on an axis with an identified stake"
    if all(any(c.party_id == p.id for a in staked for c in a.commitments) for p in parties):
        yield "no single axis has both an identified stake and a commitment from every party"


# ----------------------------------------------------------------------------- protocol


@registry.guard("protocol_complete")
def protocol_complete(ctx: FireContext) -> Iterable[str]:
    proto = ctx.protocol()
    if proto is None:
        yield "the protocol has no period yet"
        return
    axes = list(
        ctx.session.scalars(
            select(Axis).where(Axis.partnership_id == ctx.partnership.id).order_by(Axis.number)
        )
    )
    if not MIN_AXES <= len(axes) <= MAX_AXES:
        yield f"a protocol has {MIN_AXES} to {MAX_AXES} cooperation axes, this one has {len(axes)}"
    for axis in axes:
        if not axis.objectives:
            yield f"axis {axis.number} ({axis.title}) has no objective"
    for party in ctx.parties():
        if not any(c.party_id == party.id for a in axes for c in a.commitments):
            yield f"no commitment from {party_name(party)}"
    missing = [
        body
        for body, text in (("COPIL", proto.governance_copil), ("COTECH", proto.governance_cotech))
        if not text.strip()
    ]
    if len(missing) == 2:
        yield "the governance describes neither the COPIL nor the COTECH"
    elif missing:
        yield f"the governance does not describe the {missing[0]}"
    if not any(paragraph.strip() for paragraph in proto.preamble):
        yield (
            "the protocol has no préambule: write one (coopflow protocol set --preamble), "
            "from the stakes the dialogue identified"
        )
    home = next((p for p in ctx.parties() if p.id == ctx.partnership.home_party_id), None)
    if home is not None and home.tribunal is None:
        yield (
            f"the dispute article names no court: give {party_name(home)} its tribunal "
            f"administratif (coopflow party add {home.key} ... --tribunal "
            '"tribunal administratif de ..." --replace)'
        )
    yield from _financial_reasons(ctx)


def _financial_reasons(ctx: FireContext) -> Iterable[str]:
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
    for party in parties:
        if party.id not in stated:
            yield (
                f"a cooperation with a foreign authority states each party's planned financial "
                f"commitment (CGCT L.1115-1): none for {party_name(party)} "
                f"(coopflow protocol money {ctx.partnership.reference} {party.key} AMOUNT)"
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
def approves_latest_document(ctx: FireContext) -> Iterable[str]:
    latest = ctx.documents.latest(ctx.session, ctx.partnership, "protocole", "")
    if latest is None:
        yield "no protocol document has been rendered yet"
        return
    yield from _latest_reasons(
        ctx,
        latest,
        ctx.documents.current_content_sha256(ctx.session, ctx.partnership),
        changed=f"the protocol changed after version {latest.version} was rendered: "
        "render it again and approve the new version",
        latest_of="protocol version",
    )


def _latest_reasons(
    ctx: FireContext, latest: Document, current: str, *, changed: str, latest_of: str
) -> Iterable[str]:
    """What an approval of ``latest`` (the latest document of the protocol or of an avenant)
    is refused for: the data says something else now (``changed``), or the SHA-256 given
    names another document."""
    if latest.content_sha256 != current:
        yield changed
    wanted = ctx.data.get("document_sha256")
    if wanted is not None and wanted != latest.sha256:
        yield (
            f"document {wanted[:12]}… is not the latest {latest_of} "
            f"(the latest is version {latest.version}, {latest.sha256})"
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


def _approval_reasons(ctx: FireContext) -> Iterable[str]:
    proto = ctx.protocol()
    if proto is None or proto.approved_content_sha256 is None:
        yield "the legal department has not approved a protocol document"
        return
    current = ctx.documents.current_content_sha256(ctx.session, ctx.partnership)
    if current != proto.approved_content_sha256:
        yield (
            "the protocol changed after the legal department approved document "
            f"{proto.approved_document_sha256}: fire resoumettre_revue_juridique"
        )


@registry.guard("approval_still_valid")
def approval_still_valid(ctx: FireContext) -> Iterable[str]:
    yield from _approval_reasons(ctx)


def _deliberation_reasons(ctx: FireContext, amendment: Amendment | None) -> Iterable[str]:
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
    what = "the protocol" if amendment is None else f"avenant n° {number}"
    if amendment is None:
        proto = ctx.protocol()
        approved = proto.approved_document_sha256 if proto is not None else None
    else:  # an avenant the legal department approved (workflow v2; none under v1)
        approved = amendment.approved_document_sha256
    for party in ctx.parties():
        d = rows.get(party.id)
        if d is None:
            yield f"no délibération of {party_name(party)} approving {what}"
            continue
        if approved is not None and d.document_sha256 != approved:
            yield (
                f"délibération n° {d.number} of {party_name(party)} (sitting of "
                f"{d.sitting_date.isoformat()}) approved document {d.document_sha256}, not the "
                f"version the legal department approved last ({approved}): its council must "
                "deliberate again on that version, and the new délibération be recorded"
            )
        if d.foreign_decision:
            # The decision of the foreign authority's own body takes effect on its own date.
            effective = max(d.sitting_date, d.published or d.sitting_date)
            if signing is not None and effective > signing:
                yield (
                    f"the decision n° {d.number} of {party_name(party)}'s "
                    f"{party.deliberative_body} takes effect on {effective.isoformat()}, "
                    f"after the signature date {signing.isoformat()}"
                )
            continue
        if d.sent_to_prefecture is None or d.published is None:
            missing = [
                what
                for what, when in (
                    ("not sent to the prefecture", d.sent_to_prefecture),
                    ("not published", d.published),
                )
                if when is None
            ]
            yield (
                f"no délibération exécutoire for {party_name(party)}: délibération n° {d.number} "
                f"is {' and '.join(missing)}"
            )
        elif signing is not None:
            effective = max(d.sent_to_prefecture, d.published)
            if effective > signing:
                yield (
                    f"délibération n° {d.number} of {party_name(party)} becomes exécutoire "
                    f"on {effective.isoformat()}, after the signature date {signing.isoformat()}"
                )


@registry.guard("deliberations_executoire")
def deliberations_executoire(ctx: FireContext) -> Iterable[str]:
    yield from _deliberation_reasons(ctx, None)


@registry.guard("signatories_match")
def signatories_match(ctx: FireContext) -> Iterable[str]:
    rows = {
        s.party_id: s
        for s in ctx.session.scalars(
            select(Signatory).where(Signatory.partnership_id == ctx.partnership.id)
        )
    }
    for party in ctx.parties():
        s = rows.get(party.id)
        if s is None:
            yield f"no signatory for {party_name(party)}"
            continue
        who = f"the signatory of {party_name(party)}, {s.first_name} {s.last_name.upper()}"
        if s.civility is None:
            yield f"{who}, has no civility (Madame or Monsieur): the documents need it"
        if s.delegation_number is None and _fold(s.title) not in {
            _fold(party.executive_title),
            _fold(party.executive_title) + "e",
        }:
            yield (
                f"{who}, is {s.title!r}, but its executive is {party.executive_title!r}: "
                "name the executive, or the arrêté by which they delegated the signature"
            )
        signing: dt.date | None = ctx.data.get("date_signature")
        if s.delegation_date is not None and signing is not None and s.delegation_date > signing:
            yield (
                f"{who}, signs by delegation under arrêté n° {s.delegation_number} of "
                f"{s.delegation_date.isoformat()}, after the signature date {signing.isoformat()}"
            )


@registry.guard("signature_date_valid")
def signature_date_valid(ctx: FireContext) -> Iterable[str]:
    """A signature is not in the future, falls inside the protocol's period and (an avenant's)
    not before the protocol's own signature; the délibérations' guards check it comes after
    they became exécutoire."""
    signing: dt.date | None = ctx.data.get("date_signature")
    if signing is None:
        return  # only checking: the date is not known yet
    if signing > ctx.today:
        yield (
            f"the signature date {signing.isoformat()} is in the future (today is "
            f"{ctx.today.isoformat()}): record the signature once it has taken place"
        )
    proto = ctx.protocol()
    if proto is None:
        return
    if not proto.period_start <= signing <= proto.period_end:
        yield (
            f"the signature date {signing.isoformat()} is outside the protocol's period "
            f"{proto.period_start.isoformat()} – {proto.period_end.isoformat()}: sign within it, "
            "or change the period (which goes back through legal review)"
        )
    if proto.signature_date is not None and signing < proto.signature_date:
        yield (
            f"the signature date {signing.isoformat()} is before the protocol's own signature "
            f"({proto.signature_date.isoformat()})"
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


@registry.guard("amendment_ready")
def amendment_ready(ctx: FireContext) -> Iterable[str]:
    amendment = _open_amendment(ctx)
    if amendment is None:
        yield "no avenant is being drafted"
        return
    if not amendment.changes:
        yield f"avenant n° {amendment.number} lists no change to the protocol"
    free = [i for i, c in enumerate(amendment.changes, 1) if c.get("operation") == FREE]
    if free:
        listed = ", ".join(str(i) for i in free)
        yield (
            f"avenant n° {amendment.number}: change {listed} does not aim at an article "
            "(written before changes were structured): write it again as rediger, completer, "
            "inserer or abroger"
        )
    if not amendment.motives.strip():
        yield (
            f"avenant n° {amendment.number} has no exposé des motifs "
            "(coopflow avenant motives REFERENCE TEXT)"
        )


@registry.effect("render_avenant_draft")
def render_avenant_draft(ctx: FireContext) -> None:
    amendment = _open_amendment(ctx)
    assert amendment is not None
    doc = _produce(ctx, "avenant", str(amendment.number), final=False)
    ctx.document_sha256 = doc.sha256
    ctx.record["avenant"] = amendment.number


@registry.guard("approves_latest_avenant")
def approves_latest_avenant(ctx: FireContext) -> Iterable[str]:
    """The legal department approves the latest document of the avenant in progress, and only
    while it still says what the avenant says."""
    amendment = _open_amendment(ctx)
    if amendment is None:
        yield "no avenant is in progress"
        return
    n = amendment.number
    latest = ctx.documents.latest(ctx.session, ctx.partnership, "avenant", str(n))
    if latest is None:
        yield f"no document of avenant n° {n} has been rendered yet"
        return
    yield from _latest_reasons(
        ctx,
        latest,
        ctx.documents.current_avenant_content_sha256(ctx.session, ctx.partnership, n),
        changed=f"avenant n° {n} changed after version {latest.version} was rendered: render "
        f"it again (coopflow render {ctx.partnership.reference} --kind avenant --subject {n}) "
        "and approve the new version",
        latest_of=f"version of avenant n° {n}",
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
def amendment_approval_still_valid(ctx: FireContext) -> Iterable[str]:
    amendment = _open_amendment(ctx)
    if amendment is None:
        yield "no avenant is in progress"
        return
    n = amendment.number
    if amendment.approved_content_sha256 is None:
        yield (
            f"the legal department has not approved a document of avenant n° {n}: submit it to "
            "its review (resoumettre_avenant), for it to approve one"
        )
        return
    current = ctx.documents.current_avenant_content_sha256(ctx.session, ctx.partnership, n)
    if current != amendment.approved_content_sha256:
        yield (
            f"avenant n° {n} changed after the legal department approved document "
            f"{amendment.approved_document_sha256}: fire resoumettre_avenant"
        )


@registry.guard("amendment_deliberations_executoire")
def amendment_deliberations_executoire(ctx: FireContext) -> Iterable[str]:
    amendment = _open_amendment(ctx)
    if amendment is None:
        yield "no avenant is being drafted"
        return
    yield from _deliberation_reasons(ctx, amendment)


@registry.effect("withdraw_amendment")
def withdraw_amendment(ctx: FireContext) -> None:
    """The avenant in progress is withdrawn (kept, with the day and the reason): the protocol
    stays as it was, and the next avenant takes the next number."""
    amendment = _open_amendment(ctx)
    if amendment is None:
        raise ValidationError("no avenant is in progress", field="event")
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
def protocol_ended(ctx: FireContext) -> Iterable[str]:
    proto = ctx.protocol()
    if proto is not None and proto.period_end >= ctx.today:
        # The end date is the protocol's last day in force: it expires the day after.
        yield f"the protocol runs until {proto.period_end.isoformat()} inclusive"


@registry.guard("effective_date_not_past")
def effective_date_not_past(ctx: FireContext) -> Iterable[str]:
    when: dt.date | None = ctx.data.get("date_effet")
    if when is not None and when < ctx.today:
        yield f"the termination cannot take effect in the past ({when.isoformat()})"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, on the same day of the month or, when that
    month is shorter, its last day (30 November plus 3 months: 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


@registry.guard("termination_notice")
def termination_notice(ctx: FireContext) -> Iterable[str]:
    """A termination is notified (not in the future) before it takes effect; a unilateral one
    takes effect no sooner than the notice the protocol states after it was notified."""
    notified: dt.date | None = ctx.data.get("date_notification")
    effect: dt.date | None = ctx.data.get("date_effet")
    mutual = bool(ctx.data.get("commun_accord", False))
    if notified is None:
        return  # only checking: the dates are not known yet
    if notified > ctx.today:
        yield (
            f"the termination cannot be notified in the future ({notified.isoformat()}, today "
            f"is {ctx.today.isoformat()}): record it once it has been notified to the parties"
        )
    if effect is None:
        return
    if effect < notified:
        yield (
            f"the termination would take effect on {effect.isoformat()}, before it was "
            f"notified ({notified.isoformat()})"
        )
        return
    if mutual:
        return
    proto = ctx.protocol()
    months = proto.notice_months if proto is not None else 3
    earliest = add_months(notified, months)
    if effect < earliest:
        yield (
            f"a unilateral termination gives the notice the protocol states "
            f"({_months(months)}): notified on {notified.isoformat()}, it takes effect on "
            f"{earliest.isoformat()} at the earliest, not {effect.isoformat()}; if the parties "
            "agree to end it sooner, record a termination by mutual agreement (commun_accord)"
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
        raise ValidationError("must be after data.debut", field="data.fin")
    from coopflow._domain.partnerships import renew_partnership

    successor = renew_partnership(ctx, start, end)
    ctx.record["successor"] = successor.reference


# ----------------------------------------------------------------------------- programmes


@registry.guard("programme_has_actions")
def programme_has_actions(ctx: FireContext) -> Iterable[str]:
    assert ctx.programme is not None
    count = ctx.session.scalar(select(func.count()).where(Action.programme_id == ctx.programme.id))
    if not count:
        yield f"programme {ctx.programme.label} has no action"


@registry.guard("programme_approvable")
def programme_approvable(ctx: FireContext) -> Iterable[str]:
    prog = ctx.programme
    assert prog is not None
    if not ctx.in_state_with("in_force"):
        yield f"the protocol is not in force (the partnership is {ctx.partnership.state})"
    proto = ctx.protocol()
    if proto is not None and not (
        proto.period_start <= prog.period_start and prog.period_end <= proto.period_end
    ):
        yield (
            f"the programme's period {prog.period_start.isoformat()} – "
            f"{prog.period_end.isoformat()} is not inside the protocol's "
            f"{proto.period_start.isoformat()} – {proto.period_end.isoformat()}"
        )
    actions = list(
        ctx.session.scalars(
            select(Action).where(Action.programme_id == prog.id).order_by(Action.number)
        )
    )
    copil: dt.date | None = ctx.data.get("date_copil")
    if copil is not None and copil > ctx.today:
        yield (
            f"the COPIL date {copil.isoformat()} is in the future (today is "
            f"{ctx.today.isoformat()}): record the approval once the COPIL has met"
        )
    if not actions:
        yield f"programme {prog.label} has no action"
    for action in actions:
        if action.lead_party_id is None:
            yield f"action {action.number} ({action.title}) has no lead party"
        if not action.indicators:
            yield f"action {action.number} ({action.title}) has no indicator"


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
def indicators_measured(ctx: FireContext) -> Iterable[str]:
    prog = ctx.programme
    assert prog is not None
    rows = ctx.session.execute(
        select(Action.number, Indicator.name)
        .join(Indicator, Indicator.action_id == Action.id)
        .where(Action.programme_id == prog.id, Indicator.actual.is_(None))
        .order_by(Action.number, Indicator.id)
    )
    for number, name in rows:
        yield f"indicator {name!r} of action {number} has no measured value"
