"""Checkpoints in the database: the chains' heads they commit to, storing one, and whether
today's chains extend one (``coopflow._checkpoint`` is the format and the cryptography).

Reading the heads takes no lock: one statement reads every partnership's head, one more the
registries', as committed; fires on other partnerships go on meanwhile.  A head read a moment
before a fire commits is still a true head of that chain, and the next checkpoint has the next.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from coopflow import _checkpoint
from coopflow._canonical import canonical_json, sha256_hex
from coopflow._checkpoint import PARTNERSHIP, REGISTRY, CheckpointFile, Leaf
from coopflow._i18n import _, ngettext
from coopflow._journal import Problem
from coopflow._views import CheckpointInfo
from coopflow.errors import ConcurrentModificationError, EvidenceError
from coopflow.models import (
    Chain,
    Checkpoint,
    JournalRecord,
    Partnership,
    RegistryRecord,
    Setting,
    aware,
    utcnow,
)
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, undefer


def info(row: Checkpoint) -> CheckpointInfo:
    return CheckpointInfo(
        seq=row.seq,
        at=aware(row.at),
        tree_size=row.tree_size,
        root=row.root,
        sha256=row.sha256,
        key_id=row.key_id,
        algorithm=row.algorithm,
        timestamped=row.timestamp is not None,
        tsa_url=row.tsa_url,
        taken_by=row.taken_by,
    )


def database_id(session: Session) -> str:
    value = session.scalar(select(Setting.value).where(Setting.key == "database_id"))
    if value is None:  # pragma: no cover - revision 0007 sets it
        raise EvidenceError(_("this database has no identifier: run coopflow init"))
    return value


def heads(session: Session) -> list[Leaf]:
    """Every chain's head, sorted by chain: every partnership's, and the registries'."""
    leaves = [
        Leaf(f"{PARTNERSHIP}{reference}", seq, head)
        for reference, seq, head in session.execute(
            select(Partnership.reference, Partnership.journal_seq, Partnership.journal_head)
        )
    ]
    leaves.extend(
        Leaf(f"{REGISTRY}{name}", seq, head)
        for name, seq, head in session.execute(select(Chain.name, Chain.seq, Chain.head))
    )
    return sorted(leaves, key=lambda leaf: leaf.chain)


def latest(session: Session) -> Checkpoint | None:
    return session.scalars(select(Checkpoint).order_by(Checkpoint.seq.desc()).limit(1)).first()


def stored(session: Session) -> list[CheckpointInfo]:
    return [info(row) for row in session.scalars(select(Checkpoint).order_by(Checkpoint.seq))]


def prepare(session: Session) -> tuple[dict[str, object], list[Leaf], Checkpoint | None]:
    """The statement the next checkpoint signs, its leaves, and the latest checkpoint."""
    leaves = heads(session)
    last = latest(session)
    statement = _checkpoint.statement(
        database=database_id(session),
        seq=(last.seq if last is not None else 0) + 1,
        at=utcnow(),
        leaves=leaves,
        previous=last.sha256 if last is not None else None,
    )
    return statement, leaves, last


def unchanged_since(session: Session, last: Checkpoint | None) -> bool:
    """Whether every chain's head is still what ``last`` committed to."""
    if last is None:
        return False
    return last.root == _checkpoint.tree_root([leaf.hash() for leaf in heads(session)]).hex()


def store(session: Session, signed: CheckpointFile, taken_by: str) -> CheckpointInfo:
    """Store a signed checkpoint; refused if another was stored since it was prepared."""
    last = session.scalar(select(func.max(Checkpoint.seq)))
    if (last or 0) + 1 != signed.seq:
        raise ConcurrentModificationError(str(signed.seq), kind="checkpoint")
    row = Checkpoint(
        seq=signed.seq,
        at=dt.datetime.fromisoformat(str(signed.statement["at"])),
        tree_size=signed.tree_size,
        root=signed.root,
        statement=canonical_json(signed.statement),
        sha256=signed.sha256,
        algorithm=signed.algorithm,
        signature=base64.b64encode(signed.signature).decode(),
        key_id=signed.key_id,
        public_key=signed.public_key,
        certificate=signed.certificate,
        timestamp=signed.timestamp,
        tsa_url=signed.tsa_url,
        leaves=_checkpoint.pack_leaves(signed.leaves),
        taken_by=taken_by,
    )
    session.add(row)
    session.flush()
    return info(row)


def as_file(row: Checkpoint) -> CheckpointFile:
    """A stored checkpoint as the file it was published as."""
    return CheckpointFile(
        statement=json.loads(row.statement),
        algorithm=row.algorithm,
        signature=base64.b64decode(row.signature),
        public_key=row.public_key,
        certificate=row.certificate,
        timestamp=row.timestamp,
        tsa_url=row.tsa_url,
        leaves=tuple(_checkpoint.unpack_leaves(row.leaves)),
    )


def load(session: Session, seq: int | None = None) -> Checkpoint | None:
    stmt = select(Checkpoint).options(undefer(Checkpoint.leaves))
    if seq is None:
        stmt = stmt.order_by(Checkpoint.seq.desc()).limit(1)
    else:
        stmt = stmt.where(Checkpoint.seq == seq)
    return session.scalars(stmt).first()


def covering(session: Session, reference: str, seq_at_least: int = 1) -> Checkpoint | None:
    """The latest checkpoint whose leaves hold ``reference``'s chain (at any record)."""
    chain = f"{PARTNERSHIP}{reference}"
    # Newest first, one checkpoint's leaves in memory at a time (the latest usually covers).
    for seq in session.scalars(select(Checkpoint.seq).order_by(Checkpoint.seq.desc())).all():
        row = load(session, seq)
        assert row is not None
        if any(
            leaf.chain == chain and leaf.seq >= seq_at_least
            for leaf in _checkpoint.unpack_leaves(row.leaves)
        ):
            return row
    return None


# ------------------------------------------------------------------------- extension


def _batches(items: Sequence[Leaf], size: int = 500) -> Iterator[Sequence[Leaf]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def extends(session: Session, checkpoint: CheckpointFile) -> list[Problem]:
    """Whether today's chains extend ``checkpoint``: every chain it names still exists, still
    holds the record it ended at, with the same hash.  A chain whose every hash was recomputed
    after a change is named here, whatever ``verify`` says of its inner consistency."""
    where = _("checkpoint {seq} ({at})").format(seq=checkpoint.seq, at=checkpoint.statement["at"])
    problems: list[Problem] = []
    if checkpoint.statement.get("database") != database_id(session):
        problems.append(
            Problem(
                "database",
                None,
                _("{checkpoint} was taken on another database").format(checkpoint=where),
                "checkpoint_other_database",
            )
        )
        return problems
    partnerships = [leaf for leaf in checkpoint.leaves if leaf.chain.startswith(PARTNERSHIP)]
    registries = [leaf for leaf in checkpoint.leaves if leaf.chain.startswith(REGISTRY)]
    for batch in _batches(partnerships):
        refs = {leaf.chain.removeprefix(PARTNERSHIP): leaf for leaf in batch}
        rows = {
            reference: (pid, seq)
            for reference, pid, seq in session.execute(
                select(Partnership.reference, Partnership.id, Partnership.journal_seq).where(
                    Partnership.reference.in_(refs)
                )
            )
        }
        wanted = [(rows[r][0], leaf.seq) for r, leaf in refs.items() if r in rows and leaf.seq]
        hashes = (
            {
                (pid, seq): digest
                for pid, seq, digest in session.execute(
                    select(
                        JournalRecord.partnership_id, JournalRecord.seq, JournalRecord.hash
                    ).where(tuple_(JournalRecord.partnership_id, JournalRecord.seq).in_(wanted))
                )
            }
            if wanted
            else {}
        )
        for reference, leaf in sorted(refs.items()):
            problems.extend(_extends_one(where, reference, leaf, rows.get(reference), hashes))
    for leaf in registries:
        name = leaf.chain.removeprefix(REGISTRY)
        if leaf.seq == 0:
            continue
        digest = session.scalar(
            select(RegistryRecord.hash).where(
                RegistryRecord.chain == name, RegistryRecord.seq == leaf.seq
            )
        )
        if digest is None:
            problems.append(
                Problem(
                    f"registry {name}",
                    leaf.seq,
                    _("is missing, but {checkpoint} saw the chain end there (truncated)").format(
                        checkpoint=where
                    ),
                    "chain_truncated",
                )
            )
        elif digest != leaf.head:
            problems.append(
                Problem(
                    f"registry {name}",
                    leaf.seq,
                    _("is not the record {checkpoint} saw (rewritten)").format(checkpoint=where),
                    "chain_rewritten",
                )
            )
    return problems


def _extends_one(
    where: str,
    reference: str,
    leaf: Leaf,
    row: tuple[int, int] | None,
    hashes: dict[tuple[int, int], str],
) -> Iterable[Problem]:
    if row is None:
        yield Problem(
            reference,
            None,
            _(
                "the partnership is gone, but {checkpoint} saw its chain at record {seq} (deleted)"
            ).format(checkpoint=where, seq=leaf.seq),
            "partnership_deleted",
        )
        return
    pid, now = row
    if leaf.seq == 0:
        return
    digest = hashes.get((pid, leaf.seq))
    if digest is None or now < leaf.seq:
        yield Problem(
            reference,
            leaf.seq,
            _(
                "is missing: the chain ends at record {last}, {checkpoint} saw it reach record "
                "{seq} (truncated)"
            ).format(last=now, checkpoint=where, seq=leaf.seq),
            "chain_truncated",
        )
    elif digest != leaf.head:
        yield Problem(
            reference,
            leaf.seq,
            _("is not the record {checkpoint} saw: the chain was rewritten up to it").format(
                checkpoint=where
            ),
            "chain_rewritten",
        )


# ------------------------------------------------------------------------- verification


def _checked(
    target: CheckpointFile, trusted_keys: Sequence[str], tsa_roots: Sequence[bytes]
) -> _checkpoint.CheckedCheckpoint:
    """``target`` checked whole: all its leaves (a bundle's copy holds none), its signature,
    and its timestamp (required when TSA roots are given)."""
    if len(target.leaves) != target.tree_size:
        raise EvidenceError(
            ngettext(
                "it holds {held} of its {size} leaf: compare with the published checkpoint file "
                "(coopflow-checkpoint-NNNNNN.json), not a bundle's copy",
                "it holds {held} of its {size} leaves: compare with the published checkpoint "
                "file (coopflow-checkpoint-NNNNNN.json), not a bundle's copy",
                target.tree_size,
            ).format(held=len(target.leaves), size=target.tree_size)
        )
    checked = target.check(trusted_keys=trusted_keys, tsa_roots=tsa_roots)
    if tsa_roots and target.timestamp is None:
        raise EvidenceError(_("it has no timestamp token, and TSA roots were given"))
    return checked


@dataclass(frozen=True, slots=True)
class Anchoring:
    """What the checkpoints say of the journal: problems, warnings, and the checkpoint today's
    chains were compared with."""

    problems: tuple[Problem, ...]
    warnings: tuple[str, ...]
    checkpoint: int | None


def verify(
    session: Session,
    reference: str | None,
    *,
    against: CheckpointFile | None,
    trusted_keys: Sequence[str],
    tsa_roots: Sequence[bytes],
    max_age: dt.timedelta,
) -> Anchoring:
    """The stored checkpoints' own chain; then today's chains against ``against`` (a
    published checkpoint file) or, without one, against the latest stored checkpoint; and
    whether a recent checkpoint anchors the journal."""
    problems: list[Problem] = []
    warnings: list[str] = []
    previous = None
    for seq, statement_, digest in session.execute(
        select(Checkpoint.seq, Checkpoint.statement, Checkpoint.sha256).order_by(Checkpoint.seq)
    ):
        if sha256_hex(statement_) != digest:
            problems.append(
                Problem(
                    "database",
                    None,
                    _("checkpoint {seq}: statement changed").format(seq=seq),
                    "checkpoint_edited",
                )
            )
        elif json.loads(statement_).get("previous") != previous:
            problems.append(
                Problem(
                    "database",
                    None,
                    _("checkpoint {seq} does not follow checkpoint {previous}").format(
                        seq=seq, previous=seq - 1
                    ),
                    "checkpoint_unchained",
                )
            )
        previous = digest
    last = load(session)
    target = against if against is not None else (as_file(last) if last is not None else None)
    if target is None:
        if session.scalar(select(func.count()).select_from(JournalRecord)):
            warnings.append(
                _(
                    "no checkpoint anchors this journal outside the database: take one "
                    "(coopflow checkpoint take), and daily (README, 'Checkpoints')"
                )
            )
        return Anchoring(tuple(problems), tuple(warnings), None)
    try:
        checked = _checked(target, trusted_keys, tsa_roots)
    except EvidenceError as exc:
        message = (
            _("checkpoint {seq}: {problem}")
            if against is not None
            else _("stored checkpoint {seq}: {problem}")
        )
        problems.append(
            Problem(
                "database",
                None,
                message.format(seq=target.seq, problem=exc.message),
                "checkpoint_invalid",
            )
        )
        return Anchoring(tuple(problems), tuple(warnings), None)
    if checked.key_trusted is None:
        warnings.append(
            _(
                "checkpoint {seq}'s signature was checked with the key it carries ({key}…): "
                "give the legal department's public key to prove who signed it"
            ).format(seq=target.seq, key=target.key_id[:16])
        )
    if target.timestamp is None:
        warnings.append(_("checkpoint {seq} has no timestamp token").format(seq=target.seq))
    elif not checked.tsa_rooted:
        warnings.append(
            _(
                "checkpoint {seq}'s timestamp was checked with the certificate it embeds, not "
                "against a trusted TSA root"
            ).format(seq=target.seq)
        )
    found = extends(session, target)
    if reference is not None:
        found = [p for p in found if p.reference in (reference, "database")]
    problems.extend(found)
    if against is None and last is not None and not unchanged_since(session, last):
        age = utcnow() - aware(last.at)
        if age > max_age:
            warnings.append(
                _(
                    "the latest checkpoint ({seq}, {at} UTC) is older than {hours} h and records "
                    "were written since: take one (coopflow checkpoint take)"
                ).format(
                    seq=last.seq,
                    at=f"{aware(last.at):%Y-%m-%d %H:%M}",
                    hours=f"{max_age.total_seconds() / 3600:g}",
                )
            )
    return Anchoring(tuple(problems), tuple(warnings), target.seq)
