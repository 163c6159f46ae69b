"""Scripted transitions: what staff do, written in a TOML file and applied in one transaction.

A script declares parties, partnerships (each by its explicit reference) with their data, and
each partnership's ordered steps.  :func:`apply_script` applies it all or nothing; with
``dry_run`` it reports what would happen, and why a step would be refused, and writes nothing.

The format (a complete example is ``coopflow/demo/bordeaux.toml``)::

    [script]
    name = "bordeaux-2026"      # required: keys the steps in the journal (see below)
    actor = "marie.dupont"      # required: the default actor of every step
    role = "staff"              # the default role (staff)

    [[parties]]                 # add_party: key, official_name, nature, deliberative_body,
    key = "la-cali"             # executive_title, and optionally usual_name, siren, seat,
    ...                         # article, usual_article, executive_civility, tribunal, and
                                # for a foreign one country, language, original_*

    [[partnerships]]            # reference, title, scale, parties, and optionally home (the
    reference = "COOP-2026-0001"  # first party), lead, responsible (the script's actor),
    ...                         # workflow (cooperation), and data entered at creation

    [[partnerships.steps]]      # id (its position), event, actor, role, comment, data,
    event = "ouvrir_dialogue"   # programme, and the data entered before the event fires

Data, at the level of a partnership (entered right after it is created) or of a step (entered
before the step's event fires), in this order: ``exchanges``, ``axes`` (with nested ``stakes``
and ``commitments``), ``stakes`` and ``commitments`` (naming their ``axis``), ``protocol``
(with ``financial_commitments``, a list of ``{ party, amount, detail }``, and
``financial_note``),
``deliberations``, ``signatories`` (with ``civility``, and ``delegation_number`` and
``delegation_date`` for a signature by delegation), ``avenant_motives`` and
``avenant_changes`` (tables aimed at an article: ``{ operation = "rediger", article = 7, text =
"..." }``, operations ``rediger``, ``completer``, ``inserer`` with a ``title``, ``abroger``),
``programmes`` (with nested
``actions``, and their ``milestones``, ``budget`` and ``indicators``), ``indicators`` (naming
their ``programme`` and ``action``: measurements), then ``render`` (documents to render).
Axes and actions without a ``number`` are numbered in the order the script declares them.
Dates are TOML dates or ``"YYYY-MM-DD"`` texts.  An event input of type SHA-256 written
``"@latest"`` is the SHA-256 of the partnership's latest protocol document (what ``approuver``
needs) or, while an avenant is under legal review (a state with the ``amendment_review``
capability), of that avenant's latest document (what ``approuver_avenant`` needs).

Idempotence: each step has an id (``id``, by default its position, counting from 1), and the
journal record its event appends holds the idempotency key ``script:<name>#<id>`` in a column
of its own, unique per partnership (records written before revision 0007 carried it at the end
of their comment, and are still read so; a comment written since is only text).  Applying
the script again skips every step up to the last one whose key is in the partnership's journal
(and the data entered at creation, once a step is recorded); parties, partnerships and data
entries are upserts by their natural keys.  A step without an event leaves no journal record:
when it comes after the last recorded step it is entered again, which duplicates nothing.

Paths in messages count array elements from 1, like the steps: ``partnerships[2].steps[3]``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from . import _validate as v
from ._api import Coopflow
from ._articles import OPERATIONS
from ._context import Actor
from ._documents import DocumentInfo
from ._i18n import N_, _
from ._registry import PARTY_FIELDS_0008
from ._views import NewPartnership, PartnershipInfo
from ._vocabulary import CIVILITIES, DEFAULT_WORKFLOW, KINDS, ROLES
from ._workflow import EventDef, WorkflowSet
from .errors import CoopflowError, NotFoundError, PermissionDenied, ValidationError

LATEST = "@latest"
"""The value of a SHA-256 event input that stands for the latest protocol document's hash (the
avenant's, while one is under legal review)."""

PathKey = tuple[str | int, ...]
Status = Literal["done", "unchanged", "skipped", "refused", "not run"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]#]+?)\s*(\]\]?)\s*(?:#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY_LINE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_KINDS = KINDS
_MAX_TEXT = 5000


# ----------------------------------------------------------------------------- errors


class ScriptError(ValidationError):
    """The script is malformed or invalid (nothing was written)."""

    code = "script_invalid"

    def __init__(
        self, message: str, *, source: str, line: int | None = None, path: str | None = None
    ) -> None:
        self.source = source
        self.line = line
        self.path = path
        where = f"{source}:{line}" if line is not None else source
        CoopflowError.__init__(
            self,
            _("{where}: {path}: {message}").format(where=where, path=path, message=message)
            if path
            else _("{where}: {message}").format(where=where, message=message),
        )
        self.field = path


class ScriptFailed(CoopflowError):
    """A step of the script was refused: the transaction was rolled back, nothing was written.

    ``error`` is the refusal (a GuardFailed carries every reason), ``outcome`` the refused item
    and ``report`` everything the script did before it."""

    code = "script_refused"

    def __init__(self, report: ApplyReport, outcome: Outcome) -> None:
        assert outcome.error is not None
        self.report = report
        self.outcome = outcome
        self.error = outcome.error
        self.exit_code = outcome.error.exit_code
        super().__init__(
            _("{where}: {message}").format(
                where=outcome.location(report.source), message=outcome.detail
            )
        )


# ----------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class Outcome:
    """What applying one item of a script did (or, in a dry run, would do)."""

    subject: str  # a party key or a partnership reference
    item: str  # "party", "partnership", "data", or "step <id>"
    line: int | None
    status: Status
    detail: str
    error: CoopflowError | None = None
    documents: tuple[DocumentInfo, ...] = ()

    def location(self, source: str) -> str:
        """``file:line: subject item``, naming the item in the script."""
        where = f"{source}:{self.line}" if self.line is not None else source
        return _("{where}: {subject} {item}").format(
            where=where, subject=self.subject, item=item_label(self.item)
        )


#: What each kind of item is called where a person reads it (``step <id>`` aside).
_ITEMS = {
    "party": N_("party"),
    "partnership": N_("partnership"),
    "data": N_("data"),
    "thematic dialogue": N_("thematic dialogue"),
}


def item_label(item: str) -> str:
    """An :attr:`Outcome.item` as a person reads it, in the current language (the item
    itself stays a stable identifier: ``party``, ``step s1``...)."""
    if item.startswith("step "):
        return _("step {id}").format(id=item.removeprefix("step "))
    return _(_ITEMS[item]) if item in _ITEMS else item


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """What a script did, item by item, in the order it applied them."""

    script: str
    source: str
    dry_run: bool
    outcomes: tuple[Outcome, ...]

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def refusals(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "refused")

    @property
    def exit_code(self) -> int:
        """0 if every item applies; else the exit code of the first refusal."""
        first = next((o.error for o in self.refusals if o.error is not None), None)
        return first.exit_code if first is not None else 0

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


# ----------------------------------------------------------------------------- parsed script

Run = Callable[[Coopflow, str, Actor], object]
"""One data entry: called with the transaction, the partnership's reference and the actor."""


@dataclass(frozen=True, slots=True)
class _Entry:
    what: str
    line: int | None
    run: Run


@dataclass(frozen=True, slots=True)
class _Party:
    line: int | None
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Step:
    index: int
    id: str
    line: int | None
    entries: tuple[_Entry, ...]
    actor: Actor
    event: str | None
    comment: str | None
    data: dict[str, object]
    programme: str | None


@dataclass(frozen=True, slots=True)
class _Partnership:
    line: int | None
    reference: str
    title: str
    scale: str
    parties: tuple[str, ...]
    home: str
    lead: str | None
    responsible: str
    workflow: str
    entries: tuple[_Entry, ...]
    steps: tuple[_Step, ...]
    workflow_version: int | None = None
    dialogue: str | None = None  # the thematic dialogue it comes from


@dataclass(frozen=True, slots=True)
class _Dialogue:
    line: int | None
    key: str
    fields: dict[str, Any]
    entries: tuple[_Entry, ...]  # stakes, exchanges, closure: each run with the dialogue's key


@dataclass(frozen=True, slots=True)
class Script:
    """A parsed and validated script, ready to apply."""

    name: str
    source: str
    actor: Actor
    parties: tuple[_Party, ...]
    partnerships: tuple[_Partnership, ...]
    dialogues: tuple[_Dialogue, ...] = ()

    def step_key(self, step_id: str) -> str:
        """The idempotency key of a step's journal record."""
        return f"script:{self.name}#{step_id}"


# ----------------------------------------------------------------------------- line numbers


class _Scanner:
    """Follows strings and brackets across lines, to tell table headers and keys from values."""

    def __init__(self) -> None:
        self.depth = 0
        self.open_string: str | None = None  # the delimiter of an open multi-line string

    @property
    def in_value(self) -> bool:
        return self.depth > 0 or self.open_string is not None

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        while i < n:
            if self.open_string is not None:
                end = line.find(self.open_string, i)
                if end < 0:
                    return
                i, self.open_string = end + 3, None
                continue
            ch = line[i]
            if ch == "#":
                return
            if line.startswith('"""', i) or line.startswith("'''", i):
                self.open_string = line[i : i + 3]
                i += 3
                continue
            if ch in "\"'":
                j = i + 1
                while j < n and line[j] != ch:
                    j += 2 if ch == '"' and line[j] == "\\" else 1
                i = j + 1
                continue
            if ch in "[{":
                self.depth += 1
            elif ch in "]}":
                self.depth -= 1
            i += 1


def _split_key(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in dotted.split("."))


def _line_index(text: str) -> dict[PathKey, int]:
    """The line of each table header and key, by its path (array elements count from 1)."""
    lines: dict[PathKey, int] = {}
    counts: dict[PathKey, int] = {}
    latest: dict[tuple[str, ...], int] = {}
    table: PathKey = ()
    scanner = _Scanner()

    def concrete(names: tuple[str, ...]) -> PathKey:
        path: list[str | int] = []
        for i, name in enumerate(names):
            path.append(name)
            index = latest.get(names[: i + 1])
            if index is not None:
                path.append(index)
        return tuple(path)

    for number, line in enumerate(text.splitlines(), start=1):
        if not scanner.in_value:
            header = _HEADER.match(line)
            if header is not None and len(header[1]) == len(header[3]):
                names = _split_key(header[2])
                if header[1] == "[[":
                    slot = (*concrete(names[:-1]), names[-1])
                    counts[slot] = counts.get(slot, 0) + 1
                    latest[names] = counts[slot]
                    table = (*slot, counts[slot])
                else:
                    table = concrete(names)
                lines.setdefault(table, number)
                continue
            key = _KEY_LINE.match(line)
            if key is not None:
                lines.setdefault((*table, *_split_key(key[1])), number)
                scanner.feed(line[key.end() :])
                continue
        scanner.feed(line)
    return lines


def _display(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass
class _Doc:
    """The script being read: its name for messages and the lines of its tables and keys."""

    source: str
    lines: dict[PathKey, int]

    def line_of(self, path: PathKey) -> int | None:
        for end in range(len(path), 0, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    def error(self, path: PathKey, message: str) -> ScriptError:
        return ScriptError(
            message, source=self.source, line=self.line_of(path), path=_display(path) or None
        )


# ----------------------------------------------------------------------------- strict reading


class _Reader:
    """One TOML table of the script: typed access to its keys; :meth:`done` rejects the rest."""

    def __init__(self, doc: _Doc, table: Mapping[str, Any], path: PathKey) -> None:
        self.doc = doc
        self.path = path
        self._table = table
        self._used: set[str] = set()

    @property
    def line(self) -> int | None:
        return self.doc.line_of(self.path)

    def line_of(self, key: str) -> int | None:
        return self.doc.line_of((*self.path, key))

    def error(self, key: str | int | None, message: str) -> ScriptError:
        return self.doc.error(self.path if key is None else (*self.path, key), message)

    def has(self, key: str) -> bool:
        return key in self._table

    def names(self) -> list[str]:
        """Every key of the table (marked as used)."""
        self._used.update(self._table)
        return list(self._table)

    def raw(self, key: str, *, required: bool = False) -> Any:
        self._used.add(key)
        if key not in self._table:
            if required:
                unused = [k for k in self._table if k not in self._used]
                close = difflib.get_close_matches(key, unused, n=1)
                raise self.error(
                    None,
                    _("missing required key {key!r} (found {found!r})").format(
                        key=key, found=close[0]
                    )
                    if close
                    else _("missing required key {key!r}").format(key=key),
                )
            return None
        return self._table[key]

    def checked(self, key: str, value: Any, check: Callable[[Any, str], Any]) -> Any:
        try:
            return check(value, key)
        except ValidationError as exc:
            raise self.error(key, _detail(exc, key)) from None

    def text(self, key: str) -> str:
        return str(self.checked(key, self.raw(key, required=True), _text))

    def opt_text(self, key: str) -> str | None:
        value = self.raw(key)
        return None if value is None else str(self.checked(key, value, _text))

    def items(
        self, key: str, check: Callable[[Any, str], str], *, required: bool = False
    ) -> list[str]:
        """A list of texts, each checked by ``check(value, name)``."""
        value = self.raw(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list) or (required and not value):
            raise self.error(key, _("must be a list of texts"))
        result = []
        for i, item in enumerate(value, start=1):
            try:
                result.append(check(item, f"{key}[{i}]"))
            except ValidationError as exc:
                message = _detail(exc, f"{key}[{i}]")
                raise self.doc.error((*self.path, key, i), message) from None
        return result

    def texts(self, key: str) -> list[str]:
        return self.items(key, _text)

    def key(self, key: str) -> str:
        return str(self.checked(key, self.raw(key, required=True), v.key))

    def opt_key(self, key: str) -> str | None:
        value = self.raw(key)
        return None if value is None else str(self.checked(key, value, v.key))

    def date(self, key: str) -> dt.date:
        result: dt.date = self.checked(key, self.raw(key, required=True), v.date)
        return result

    def opt_date(self, key: str) -> dt.date | None:
        value = self.raw(key)
        return None if value is None else self.date(key)

    def integer(self, key: str, *, maximum: int = 999) -> int:
        return int(
            self.checked(key, self.raw(key, required=True), lambda x, k: _integer(x, k, maximum))
        )

    def opt_integer(self, key: str, *, maximum: int = 999) -> int | None:
        return None if self.raw(key) is None else self.integer(key, maximum=maximum)

    def amount(self, key: str) -> Decimal:
        result: Decimal = self.checked(key, self.raw(key, required=True), _amount)
        return result

    def opt_amount(self, key: str) -> Decimal | None:
        return None if self.raw(key) is None else self.amount(key)

    def choice(self, key: str, choices: Sequence[str], default: str | None = None) -> str:
        value = self.raw(key, required=default is None)
        if value is None:
            assert default is not None
            return default
        if value not in choices:
            raise self.error(
                key,
                _("{value!r} is not one of: {choices}").format(
                    value=value, choices=", ".join(choices)
                ),
            )
        return str(value)

    def table(self, key: str) -> _Reader | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, _("must be a table"))
        return _Reader(self.doc, value, (*self.path, key))

    def tables(self, key: str) -> list[_Reader]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            raise self.error(key, _("must be a list of tables ([[...]] or [{...}, ...])"))
        return [_Reader(self.doc, x, (*self.path, key, i)) for i, x in enumerate(value, start=1)]

    def done(self) -> None:
        """Reject the keys nobody asked for, naming the first one's path."""
        unknown = [k for k in self._table if k not in self._used]
        if unknown:
            raise self.error(unknown[0], _("unknown key"))


def _detail(exc: ValidationError, field: str) -> str:
    """What ``exc`` says of ``field``, without the field's name it starts with (the script's
    error names the field by its path)."""
    if exc.field != field:
        return exc.message
    prefix = _("{field}: {message}").format(field=field, message="")
    return exc.message.removeprefix(prefix).removeprefix(f"{field}: ")


def _text(value: object, key: str) -> str:
    return v.text(value, key, max_length=_MAX_TEXT, multiline=True)


def _integer(value: object, key: str, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(_("must be a whole number"), field=key)
    return v.positive_int(value, key, maximum=maximum)


def _amount(value: object, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError(
            _("must be an amount (a number or a text such as '1234.50')"), field=key
        )
    return v.amount(value, key)


def _name(r: _Reader, key: str, value: object) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _NAME.fullmatch(text):
        raise r.error(
            key,
            _("{value!r} is not a name (letters, digits, '.', '_' and '-', at most 64)").format(
                value=value
            ),
        )
    return text


# ----------------------------------------------------------------------------- data entries


@dataclass
class _Numbers:
    """Default numbers of a partnership's axes and of each programme's actions."""

    axes: int = 0
    actions: dict[str, int] = field(default_factory=dict)

    def axis(self, given: int | None) -> int:
        number = self.axes + 1 if given is None else given
        self.axes = max(self.axes, number)
        return number

    def action(self, programme: str, given: int | None) -> int:
        last = self.actions.get(programme, 0)
        number = last + 1 if given is None else given
        self.actions[programme] = max(last, number)
        return number


def _call_as(method: Callable[..., object], *args: object, **kwargs: object) -> Run:
    """A data entry calling ``method(tx, reference, *args, actor=<the step's actor>, ...)``."""

    def run(tx: Coopflow, ref: str, actor: Actor) -> object:
        return method(tx, ref, *args, actor=actor, **kwargs)

    return run


def _entries(r: _Reader, numbers: _Numbers) -> tuple[_Entry, ...]:
    """The data entries of a partnership or a step, in the order they are applied."""
    return (*_content_entries(r, numbers), *_contract_entries(r, numbers))


def _exchange(x: _Reader, log: Callable[..., object]) -> _Entry:
    """An exchange (date, kind, summary, participants), logged with ``log``: a partnership's
    own (``log_exchange``) or a thematic dialogue's (``log_dialogue_exchange``)."""
    date = x.date("date")
    run = _call_as(
        log,
        date=date,
        kind=x.text("kind"),
        summary=x.text("summary"),
        participants=x.opt_text("participants"),
    )
    x.done()
    return _Entry(_("exchange of {date}").format(date=date.isoformat()), x.line, run)


def _content_entries(r: _Reader, numbers: _Numbers) -> list[_Entry]:
    """Exchanges, axes, stakes, commitments and the protocol: what dialogue and drafting set."""
    entries = [_exchange(x, Coopflow.log_exchange) for x in r.tables("exchanges")]
    stakes: list[tuple[_Reader, int]] = []
    commitments: list[tuple[_Reader, int]] = []
    for x in r.tables("axes"):
        number = numbers.axis(x.opt_integer("number", maximum=20))
        run = _call_as(
            Coopflow.add_axis, x.text("title"), objectives=x.texts("objectives"), number=number
        )
        stakes += [(s, number) for s in x.tables("stakes")]
        commitments += [(c, number) for c in x.tables("commitments")]
        x.done()
        entries.append(_Entry(_("axis {number}").format(number=number), x.line, run))
    stakes += [(s, s.integer("axis", maximum=20)) for s in r.tables("stakes")]
    commitments += [(c, c.integer("axis", maximum=20)) for c in r.tables("commitments")]
    for x, axis in stakes:
        title = x.text("title")
        run = _call_as(
            Coopflow.add_stake, axis=axis, title=title, description=x.opt_text("description") or ""
        )
        x.done()
        entries.append(
            _Entry(_("stake {title!r} (axis {axis})").format(title=title, axis=axis), x.line, run)
        )
    for x, axis in commitments:
        party = x.key("party")
        run = _call_as(Coopflow.add_commitment, axis=axis, party=party, text=x.text("text"))
        x.done()
        entries.append(
            _Entry(
                _("commitment of {party} (axis {axis})").format(party=party, axis=axis), x.line, run
            )
        )
    proto = r.table("protocol")
    if proto is not None:
        kwargs: dict[str, Any] = {"start": proto.date("start"), "end": proto.date("end")}
        if proto.has("preamble"):
            kwargs["preamble"] = proto.texts("preamble")
        for name in ("copil", "cotech", "means", "prevailing_language"):
            kwargs[name] = proto.opt_text(name)
        kwargs["financial_commitments"] = proto.opt_text("financial_note")
        kwargs["meetings_per_year"] = proto.opt_integer("meetings_per_year", maximum=52)
        kwargs["notice_months"] = proto.opt_integer("notice_months", maximum=12)
        money = proto.tables("financial_commitments")
        proto.done()
        entries.append(_Entry(_("protocol"), proto.line, _call_as(Coopflow.set_protocol, **kwargs)))
        for x in money:
            party = x.key("party")
            run = _call_as(
                Coopflow.set_financial_commitment,
                party=party,
                amount=x.amount("amount"),
                detail=x.opt_text("detail") or "",
            )
            x.done()
            entries.append(
                _Entry(_("financial commitment of {party}").format(party=party), x.line, run)
            )
    return entries


def _contract_entries(r: _Reader, numbers: _Numbers) -> list[_Entry]:
    """Délibérations, signatories, avenants, programmes, measurements and renderings."""
    entries: list[_Entry] = []
    for x in r.tables("deliberations"):
        party, number = x.key("party"), x.text("number")
        run = _call_as(
            Coopflow.record_deliberation,
            party=party,
            number=number,
            sitting_date=x.date("sitting_date"),
            sent_to_prefecture=x.opt_date("sent_to_prefecture"),
            published=x.opt_date("published"),
            amendment=x.opt_integer("avenant") or 0,
        )
        x.done()
        entries.append(
            _Entry(
                _("délibération n° {number} of {party}").format(number=number, party=party),
                x.line,
                run,
            )
        )
    for x in r.tables("signatories"):
        party = x.key("party")
        run = _call_as(
            Coopflow.set_signatory,
            party=party,
            first_name=x.text("first_name"),
            last_name=x.text("last_name"),
            title=x.text("title"),
            civility=x.choice("civility", CIVILITIES),
            login=x.opt_text("login"),
            delegation_number=x.opt_text("delegation_number"),
            delegation_date=x.opt_date("delegation_date"),
        )
        x.done()
        entries.append(_Entry(_("signatory of {party}").format(party=party), x.line, run))
    motives = r.opt_text("avenant_motives")
    if motives is not None:
        run = _call_as(Coopflow.set_amendment_motives, motives)
        entries.append(_Entry(_("avenant motives"), r.line_of("avenant_motives"), run))
    for x in _changes(r):
        operation = x.choice("operation", tuple(OPERATIONS))
        article = x.raw("article", required=True)
        if isinstance(article, bool) or not isinstance(article, int | str):
            raise x.error("article", _('must be an article number (7, or a text such as "4-1")'))
        run = _call_as(
            Coopflow.add_amendment_change,
            operation,
            article,
            text=x.opt_text("text"),
            title=x.opt_text("title"),
        )
        x.done()
        entries.append(
            _Entry(
                _("avenant change ({operation} article {article})").format(
                    operation=operation, article=article
                ),
                x.line,
                run,
            )
        )
    for x in r.tables("programmes"):
        entries += _programme(x, numbers)
    for x in r.tables("indicators"):
        entries.append(_indicator(x, x.text("programme"), x.integer("action")))
    for x in r.tables("render"):
        kind = x.choice("kind", _KINDS)
        subject = x.opt_text("subject") or ""
        x.done()
        run = _call_as(Coopflow.render, kind, subject=subject)
        entries.append(_Entry(f"render {kind} {subject}".rstrip(), x.line, run))
    return entries


def _changes(r: _Reader) -> list[_Reader]:
    """The avenant's changes: each a table aimed at an article (a bare paragraph is refused)."""
    value = r.raw("avenant_changes")
    if isinstance(value, list) and any(isinstance(x, str) for x in value):
        raise r.error(
            "avenant_changes",
            _(
                "each change aims at an article of the protocol: "
                '{{ operation = "rediger", article = 7, text = "..." }} (operations: '
                "{operations})"
            ).format(operations=", ".join(OPERATIONS)),
        )
    return r.tables("avenant_changes")


def _programme(x: _Reader, numbers: _Numbers) -> list[_Entry]:
    label = x.text("label")
    run = _call_as(Coopflow.add_programme, label, start=x.date("start"), end=x.date("end"))
    entries = [_Entry(_("programme {label}").format(label=label), x.line, run)]
    for a in x.tables("actions"):
        number = numbers.action(label, a.opt_integer("number"))
        run = _call_as(
            Coopflow.add_action,
            label,
            axis=a.integer("axis", maximum=20),
            title=a.text("title"),
            objectives=a.opt_text("objectives") or "",
            lead=a.opt_key("lead"),
            contact=a.opt_text("contact"),
            partners=a.texts("partners"),
            number=number,
            pilot_name=a.opt_text("pilot_name"),
            pilot_function=a.opt_text("pilot_function"),
            pilot_email=a.opt_text("pilot_email"),
        )
        entries.append(
            _Entry(
                _("action {number} of programme {label}").format(number=number, label=label),
                a.line,
                run,
            )
        )
        of = f"action {number}, programme {label}"
        for m in a.tables("milestones"):
            run = _call_as(
                Coopflow.add_milestone, label, number, date=m.date("date"), label=m.text("label")
            )
            m.done()
            entries.append(_Entry(_("milestone ({of})").format(of=of), m.line, run))
        for b in a.tables("budget"):
            funder = b.text("funder")
            run = _call_as(
                Coopflow.add_budget_line, label, number, funder=funder, amount=b.amount("amount")
            )
            b.done()
            entries.append(
                _Entry(
                    _("budget line of {funder} ({of})").format(funder=funder, of=of), b.line, run
                )
            )
        entries += [_indicator(i, label, number) for i in a.tables("indicators")]
        a.done()
    x.done()
    return entries


def _indicator(x: _Reader, programme: str, action: int) -> _Entry:
    name = x.text("name")
    run = _call_as(
        Coopflow.add_indicator,
        programme,
        action,
        name=name,
        target=x.amount("target"),
        unit=x.opt_text("unit") or "",
        actual=x.opt_amount("actual"),
    )
    x.done()
    return _Entry(
        _("indicator {name!r} (action {action}, programme {programme})").format(
            name=name, action=action, programme=programme
        ),
        x.line,
        run,
    )


# ----------------------------------------------------------------------------- loading


def _party(r: _Reader) -> _Party:
    fields: dict[str, Any] = {
        "key": r.key("key"),
        "official_name": r.text("official_name"),
        "usual_name": r.opt_text("usual_name"),
        "nature": r.text("nature"),
        "siren": r.checked("siren", r.raw("siren"), lambda x, k: v.siren(_siren_text(x, k), k)),
        "seat": r.opt_text("seat"),
        "deliberative_body": r.text("deliberative_body"),
        "executive_title": r.text("executive_title"),
    }
    for name in _PARTY_OPTIONS:
        value = r.raw(name)
        if value is not None:
            fields[name] = "" if value == "" else r.opt_text(name)
    r.done()
    return _Party(r.line, fields)


#: The optional keys of a party: the fields revision 0008 added (``article = ""`` says the
#: name takes none).
_PARTY_OPTIONS = PARTY_FIELDS_0008


def _siren_text(value: object, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(_('must be a text such as "243300316" (quoted)'), field=key)
    return value


def _actor(r: _Reader, default: Actor | None) -> Actor:
    """The actor a script (or a step) names: a registered login, and the role to act in (by
    default the script's, else the first the actor holds that may do each thing)."""
    actor_id = r.opt_text("actor") or (default.id if default else None)
    if actor_id is None:
        raise r.error(None, _("missing required key 'actor'"))
    role = r.raw("role")
    if role is not None and role not in ROLES:
        raise r.error(
            "role", _("{role!r} is not one of: {roles}").format(role=role, roles=", ".join(ROLES))
        )
    chosen = str(role) if role is not None else (default.role if default else None)
    return Actor(actor_id, chosen, "script")


def _event_def(
    r: _Reader, workflows: WorkflowSet, workflow: str, event: str, *, programme: bool
) -> EventDef:
    """The event a step names: of the partnership's workflow, or (``programme``) of the
    programme workflow that workflow declares."""
    try:
        wf = workflows.get(workflow)
        if programme:
            wf = workflows.programmes_of(wf)
    except ValidationError as exc:
        raise r.error("event", exc.message) from None
    from coopflow._domain.firing import find_event
    from coopflow._domain.lookup import closest

    ev = find_event(wf, event)  # in any case, as `coopflow fire` finds it
    if ev is None:
        message = _("unknown event {event!r} in workflow {name} (known: {events})").format(
            event=event, name=wf.name, events=", ".join(wf.events)
        )
        near = closest(event, wf.events)
        if near:
            message = _("{message}; did you mean {choices}?").format(
                message=message, choices=", ".join(near)
            )
        raise r.error("event", message)
    return ev


def _step_data(r: _Reader, ev: EventDef) -> dict[str, object]:
    data = r.table("data")
    if data is None:
        raw: dict[str, object] = {}
    else:
        raw = {k: data.raw(k) for k in data.names()}
    inputs = {i.name: i for i in ev.inputs}
    for name, value in raw.items():
        where = ("data", name)
        spec = inputs.get(name)
        if spec is None:
            raise r.doc.error(
                (*r.path, *where),
                _("{event} takes no input {input!r} (inputs: {inputs})").format(
                    event=ev.name, input=name, inputs=", ".join(inputs) or _("none")
                ),
            )
        if value == LATEST:
            if spec.type != "sha256":
                raise r.doc.error(
                    (*r.path, *where), _("{latest} stands for a SHA-256 only").format(latest=LATEST)
                )
            continue
        try:
            spec.parse(value)
        except ValidationError as exc:
            message = _detail(exc, f"data.{name}")
            raise r.doc.error((*r.path, *where), message) from None
    for spec in ev.inputs:
        if spec.required and spec.name not in raw:
            raise r.error(
                "data",
                _("{event} needs input {input!r} ({label})").format(
                    event=ev.name, input=spec.name, label=spec.label
                ),
            )
    return raw


def _step(
    r: _Reader,
    index: int,
    workflows: WorkflowSet,
    workflow: str,
    default: Actor,
    numbers: _Numbers,
) -> _Step:
    step_id = _name(r, "id", r.raw("id")) if r.has("id") else str(index)
    actor = _actor(r, default)
    entries = _entries(r, numbers)
    event = r.opt_text("event")
    programme = r.opt_text("programme")
    comment = r.opt_text("comment")
    data: dict[str, object] = {}
    if event is None:
        for key in ("programme", "comment", "data"):
            if r.has(key):
                raise r.error(key, _("only a step with an event takes it"))
        if not entries:
            raise r.error(None, _("a step has an event or data to enter (or both)"))
    else:
        ev = _event_def(r, workflows, workflow, event, programme=programme is not None)
        data = _step_data(r, ev)
    r.done()
    return _Step(index, step_id, r.line, entries, actor, event, comment, data, programme)


def _partnership(r: _Reader, workflows: WorkflowSet, default: Actor) -> _Partnership:
    reference = str(r.checked("reference", r.raw("reference", required=True), v.reference))
    keys = tuple(r.items("parties", v.key, required=True))
    workflow = r.opt_text("workflow") or DEFAULT_WORKFLOW
    numbers = _Numbers()
    decl = _Partnership(
        line=r.line,
        reference=reference,
        title=r.text("title"),
        scale=r.text("scale"),
        parties=keys,
        home=r.opt_key("home") or keys[0],
        lead=r.opt_key("lead"),
        responsible=r.opt_text("responsible") or default.id,
        workflow=workflow,
        entries=_entries(r, numbers),
        steps=tuple(
            _step(s, i, workflows, workflow, default, numbers)
            for i, s in enumerate(r.tables("steps"), start=1)
        ),
        workflow_version=r.opt_integer("workflow_version"),
        dialogue=r.opt_key("dialogue"),
    )
    seen: dict[str, int] = {}
    for step in decl.steps:
        if step.id in seen:
            raise r.doc.error(
                (*r.path, "steps", step.index, "id"),
                _("step id {id!r} is also the id of step {other}").format(
                    id=step.id, other=seen[step.id]
                ),
            )
        seen[step.id] = step.index
    r.done()
    return decl


def _dialogue(r: _Reader) -> _Dialogue:
    """A ``[[dialogues]]`` table: the thematic dialogue, its territories (party keys, or
    ``{ party, partnership }``), then its stakes, exchanges and closure."""
    participants: list[str | tuple[str, str | None]] = []
    raw = r.raw("participants", required=True)
    if not isinstance(raw, list):
        raise r.error("participants", _("must be a list of parties"))
    for i, item in enumerate(raw):
        if isinstance(item, str):
            participants.append(str(r.checked("participants", item, v.key)))
            continue
        if not isinstance(item, dict):
            raise r.error(
                "participants", _("item {i} is not a party key or a table").format(i=i + 1)
            )
        x = _Reader(r.doc, item, (*r.path, "participants", i))
        participants.append((x.key("party"), x.opt_text("partnership")))
        x.done()
    fields: dict[str, Any] = {
        "theme": r.text("theme"),
        "title": r.text("title"),
        "home": r.key("home"),
        "participants": participants,
        "responsible": r.opt_text("responsible"),
    }
    entries: list[_Entry] = []
    for x in r.tables("stakes"):
        party, title = x.key("party"), x.text("title")
        run = _call_as(
            Coopflow.add_dialogue_stake, party, title, description=x.opt_text("description") or ""
        )
        x.done()
        entries.append(
            _Entry(_("stake {title!r} of {party}").format(title=title, party=party), x.line, run)
        )
    entries.extend(_exchange(x, Coopflow.log_dialogue_exchange) for x in r.tables("exchanges"))
    close = r.table("close")
    if close is not None:
        run = _call_as(
            Coopflow.close_dialogue, date=close.date("date"), conclusion=close.text("conclusion")
        )
        close.done()
        entries.append(_Entry(_("closure"), close.line, run))
    key = r.key("key")
    r.done()
    return _Dialogue(r.line, key, fields, tuple(entries))


MAX_SCRIPT_BYTES = 64 * 1024 * 1024  # about 500,000 partnerships of a plain import


def _too_large(source: str) -> ScriptError:
    return ScriptError(
        _("is larger than {size} MiB: split it into several scripts").format(
            size=MAX_SCRIPT_BYTES // (1024 * 1024)
        ),
        source=source,
    )


def load_script(script: Path | str, workflows: WorkflowSet, *, source: str | None = None) -> Script:
    """Read and validate a script: a file (a Path) or its TOML text (a str).

    Raises :class:`ScriptError` naming the file, the line and the key of the first problem:
    malformed TOML, an unknown or missing key, a value of the wrong type or format, an unknown
    event or role.  ``source`` names the script in messages (by default the file's path)."""
    if isinstance(script, Path):
        source = source or str(script)
        try:
            with script.open("rb") as file:
                data = file.read(MAX_SCRIPT_BYTES + 1)  # /dev/zero ends here
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if len(data) > MAX_SCRIPT_BYTES:
                raise _too_large(source) from None
            raise ScriptError(
                _("is not UTF-8 text ({reason})").format(reason=exc.reason), source=source
            ) from None
        except OSError as exc:
            raise ScriptError(
                _("cannot be read ({error})").format(error=exc.strerror), source=source
            ) from None
    else:
        source, text = source or "<script>", script
    if len(text.encode("utf-8")) > MAX_SCRIPT_BYTES:
        raise _too_large(source)
    try:
        raw = tomllib.loads(text)
    except RecursionError:
        raise ScriptError(_("malformed TOML: values nested too deeply"), source=source) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_LINE.search(message)
        line = int(found[1]) if found else None
        raise ScriptError(
            _("malformed TOML: {error}").format(error=_TOML_LINE.sub("", message).strip()),
            source=source,
            line=line,
        ) from None
    doc = _Doc(source, _line_index(text))
    top = _Reader(doc, raw, ())
    head = top.table("script")
    if head is None:
        raise doc.error((), _("missing the [script] table (its name, actor and role)"))
    name = _name(head, "name", head.raw("name", required=True))
    actor = _actor(head, None)
    head.done()
    parties = tuple(_party(r) for r in top.tables("parties"))
    dialogues = tuple(_dialogue(r) for r in top.tables("dialogues"))
    partnerships = tuple(_partnership(r, workflows, actor) for r in top.tables("partnerships"))
    top.done()
    declared: set[str] = set()
    for i, decl in enumerate(partnerships, start=1):
        if decl.reference in declared:
            raise doc.error(
                ("partnerships", i, "reference"),
                _("{reference} is declared twice").format(reference=decl.reference),
            )
        declared.add(decl.reference)
    return Script(name, source, actor, parties, partnerships, dialogues)


# ----------------------------------------------------------------------------- applying


def apply_script(
    cf: Coopflow,
    script: Path | str,
    *,
    dry_run: bool = False,
    source: str | None = None,
    progress: Callable[[Outcome], object] | None = None,
    identity: Actor | None = None,
) -> ApplyReport:
    """Apply a script (a file, or TOML text given as a str) in one transaction.

    A refused item rolls everything back and raises :class:`ScriptFailed` (its exit code is the
    refusal's).  With ``dry_run``, the transaction is always rolled back and the report says
    what would have been done and why an item would be refused; after a refusal, a partnership's
    later steps are reported "not run" and the other partnerships are still tried.
    ``progress`` is called with each outcome as it happens.

    The actors a script names must be registered and hold the roles they act in.  When
    ``identity`` was identified by its database login (the command line on PostgreSQL), the
    script may name no one else: people act as themselves there."""
    parsed = load_script(script, cf.workflows, source=source)
    if identity is not None and identity.identified_by == "db_login":
        _only_as(parsed, identity)
    outcomes: list[Outcome] = []
    with cf.transaction(dry_run=dry_run) as tx:
        for outcome in _run(tx, parsed, stop=not dry_run):
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
            if outcome.status == "refused" and not dry_run:
                raise ScriptFailed(
                    ApplyReport(parsed.name, parsed.source, dry_run, tuple(outcomes)), outcome
                )
    return ApplyReport(parsed.name, parsed.source, dry_run, tuple(outcomes))


def _only_as(script: Script, identity: Actor) -> None:
    """Refuse a script that names an actor other than ``identity``."""
    named = [("[script]", script.actor)] + [
        (
            _("step {id} of {reference} (line {line})").format(
                id=step.id, reference=decl.reference, line=step.line
            ),
            step.actor,
        )
        for decl in script.partnerships
        for step in decl.steps
    ]
    for where, actor in named:
        if actor.id != identity.id:
            raise PermissionDenied(
                "apply",
                actor.role or "",
                (),
                actor=actor.id,
                reason=_(
                    "{source}: {where} acts as {actor}, but you are connected as {identity}: on "
                    "PostgreSQL each person applies their own steps"
                ).format(source=script.source, where=where, actor=actor.id, identity=identity.id),
            )


def _run(tx: Coopflow, script: Script, *, stop: bool) -> Iterator[Outcome]:
    for party in script.parties:
        outcome = _apply_party(tx, party, script.actor)
        yield outcome
        if outcome.status == "refused" and stop:
            return
    existing = tx.existing([decl.reference for decl in script.partnerships])
    created = _create_new(tx, script, existing)
    # The dialogues once the partnerships are open (a territory takes part through one the
    # script opens), before those that come from a dialogue (_open) and every step.
    for d in script.dialogues:
        outcomes = list(_apply_dialogue(tx, d, script.actor))
        yield from outcomes
        if stop and any(o.status == "refused" for o in outcomes):
            return
    for decl in script.partnerships:
        yield from _apply_partnership(tx, script, decl, existing, created)


def _create_new(
    tx: Coopflow, script: Script, existing: Mapping[str, PartnershipInfo]
) -> dict[str, PartnershipInfo]:
    """Open, in one batch, the partnerships the script declares that do not exist yet (an
    import of thousands costs a few statements per 500).  When the batch is refused, nothing
    of it is kept and each partnership is then opened in its turn, so that the refusal is
    reported on the one that caused it."""
    # One that comes from a thematic dialogue is opened in its turn, with the link (_open).
    new = [
        decl
        for decl in script.partnerships
        if decl.reference not in existing and decl.dialogue is None
    ]
    if not new:
        return {}
    try:  # in a savepoint of the script's transaction
        infos = tx.create_partnerships(
            [
                NewPartnership(
                    reference=decl.reference,
                    title=decl.title,
                    scale=decl.scale,
                    parties=decl.parties,
                    home=decl.home,
                    responsible=decl.responsible,
                    lead=decl.lead,
                    workflow=decl.workflow,
                    workflow_version=decl.workflow_version,
                )
                for decl in new
            ],
            actor=script.actor,
        )
    except CoopflowError:
        return {}
    return {info.reference: info for info in infos}


def _apply_dialogue(tx: Coopflow, d: _Dialogue, actor: Actor) -> Iterator[Outcome]:
    """Open the thematic dialogue (or find it as declared), then enter its stakes, exchanges
    and closure; a closed dialogue applied again is left as it is."""
    try:
        before = {x.key for x in tx.dialogues()}
        info = tx.open_dialogue(d.key, **d.fields, actor=actor)
    except CoopflowError as exc:
        yield Outcome(d.key, "thematic dialogue", d.line, "refused", exc.message, exc)
        return
    status: Status = "unchanged" if d.key in before else "done"
    yield Outcome(
        d.key,
        "thematic dialogue",
        d.line,
        status,
        _("opened") if status == "done" else _("exists"),
    )
    if info.closed_on is not None or not d.entries:
        return
    for entry in d.entries:
        try:
            entry.run(tx, d.key, actor)
        except CoopflowError as exc:
            yield Outcome(
                d.key,
                "data",
                entry.line,
                "refused",
                _("{what}: {message}").format(what=entry.what, message=exc.message),
                exc,
            )
            return
    if tx.dialogue(d.key) == info:  # applied again: the same stakes, exchanges and closure
        yield Outcome(d.key, "data", d.line, "unchanged", _("as entered before"))
    else:
        yield Outcome(d.key, "data", d.line, "done", _summary(d.entries))


def _apply_party(tx: Coopflow, party: _Party, actor: Actor) -> Outcome:
    key = party.fields["key"]
    try:
        tx.party(key)
        existed = True
    except NotFoundError:
        existed = False
    try:
        tx.add_party(**party.fields, actor=actor)
    except CoopflowError as exc:
        return Outcome(key, "party", party.line, "refused", exc.message, exc)
    if existed:
        return Outcome(key, "party", party.line, "unchanged", _("already registered"))
    return Outcome(key, "party", party.line, "done", _("registered"))


def _differences(info: PartnershipInfo, decl: _Partnership) -> list[str]:
    wanted = {
        "title": decl.title,
        "scale": decl.scale,
        "parties": decl.parties,
        "home": decl.home,
        "lead": decl.lead,
        "workflow": decl.workflow,
    }
    return [k for k, value in wanted.items() if getattr(info, k) != value]


def _open(
    tx: Coopflow,
    script: Script,
    decl: _Partnership,
    existing: Mapping[str, PartnershipInfo],
    created: Mapping[str, PartnershipInfo],
) -> Outcome:
    """Create the partnership (unless the batch did), or check that the one already there is
    the one declared."""
    ref = decl.reference
    if ref in created:
        return Outcome(
            ref,
            "partnership",
            decl.line,
            "done",
            _("created in {state}").format(state=created[ref].state),
        )
    info = existing.get(ref)
    if info is None:
        try:
            info = tx.create_partnership(
                decl.title,
                scale=decl.scale,
                parties=decl.parties,
                home=decl.home,
                lead=decl.lead,
                responsible=decl.responsible,
                actor=script.actor,
                reference=ref,
                workflow=decl.workflow,
                workflow_version=decl.workflow_version,
                dialogue=decl.dialogue,
            )
        except CoopflowError as exc:
            return Outcome(ref, "partnership", decl.line, "refused", exc.message, exc)
        return Outcome(
            ref, "partnership", decl.line, "done", _("created in {state}").format(state=info.state)
        )
    differences = _differences(info, decl)
    if differences:
        error = CoopflowError(
            _("partnership {reference} already exists with a different {differences}").format(
                reference=ref, differences=", ".join(differences)
            )
        )
        return Outcome(ref, "partnership", decl.line, "refused", error.message, error)
    return Outcome(
        ref, "partnership", decl.line, "unchanged", _("exists, in {state}").format(state=info.state)
    )


def _not_run(ref: str, steps: Sequence[_Step], why: str) -> Iterator[Outcome]:
    """``why``: the message each step not run gets (what was refused before it)."""
    for step in steps:
        yield Outcome(ref, f"step {step.id}", step.line, "not run", why)


def _apply_partnership(
    tx: Coopflow,
    script: Script,
    decl: _Partnership,
    existing: Mapping[str, PartnershipInfo],
    created: Mapping[str, PartnershipInfo],
) -> Iterator[Outcome]:
    ref = decl.reference
    opened = _open(tx, script, decl, existing, created)
    yield opened
    if opened.status == "refused":
        yield from _not_run(ref, decl.steps, _("the partnership was refused"))
        return
    prefix = script.step_key("")
    recorded = (
        set()  # a partnership just opened has no step recorded yet
        if ref not in existing
        else {
            key.removeprefix(prefix) for key in tx.idempotency_keys(ref) if key.startswith(prefix)
        }
    )
    last = max((s.index for s in decl.steps if s.id in recorded), default=0)
    if decl.entries and last:
        yield Outcome(ref, "data", decl.line, "skipped", _("entered before the recorded steps"))
    elif decl.entries:
        refusal, documents = _enter(tx, ref, "data", decl.entries, script.actor)
        yield refusal or Outcome(
            ref, "data", decl.line, "done", _summary(decl.entries), documents=documents
        )
        if refusal is not None:
            yield from _not_run(ref, decl.steps, _("the partnership's data was refused"))
            return
    for i, step in enumerate(decl.steps):
        if step.index <= last:
            why = (
                _("already applied") if step.id in recorded else _("before a step already applied")
            )
            yield Outcome(ref, f"step {step.id}", step.line, "skipped", why)
            continue
        outcome = _apply_step(tx, script, ref, step)
        yield outcome
        if outcome.status == "refused":
            yield from _not_run(
                ref, decl.steps[i + 1 :], _("step {id} was refused").format(id=step.id)
            )
            return


def _enter(
    tx: Coopflow, ref: str, item: str, entries: Sequence[_Entry], actor: Actor
) -> tuple[Outcome | None, tuple[DocumentInfo, ...]]:
    """Enter data: the refusal of the first entry refused (if any), and the documents
    rendered."""
    documents: list[DocumentInfo] = []
    for entry in entries:
        try:
            result = entry.run(tx, ref, actor)
        except CoopflowError as exc:
            refusal = Outcome(
                ref,
                item,
                entry.line,
                "refused",
                _("{what}: {message}").format(what=entry.what, message=exc.message),
                exc,
            )
            return refusal, tuple(documents)
        if isinstance(result, DocumentInfo):
            documents.append(result)
    return None, tuple(documents)


def _summary(entries: Sequence[_Entry]) -> str:
    kinds: dict[str, int] = {}
    for e in entries:
        word = e.what.split(" ", 1)[0]
        kinds[word] = kinds.get(word, 0) + 1
    return _("entered {items}").format(items=", ".join(f"{n} × {k}" for k, n in kinds.items()))


def _apply_step(tx: Coopflow, script: Script, ref: str, step: _Step) -> Outcome:
    item = f"step {step.id}"
    refusal, rendered = _enter(tx, ref, item, step.entries, script.actor)
    if refusal is not None:
        return refusal
    if step.event is None:
        return Outcome(ref, item, step.line, "done", _summary(step.entries), documents=rendered)
    try:
        data = {
            k: (_latest_document(tx, ref) if value == LATEST else value)
            for k, value in step.data.items()
        }
        result = tx.fire(
            ref,
            step.event,
            step.actor,
            comment=step.comment,
            data=data,
            programme=step.programme,
            idempotency_key=script.step_key(step.id),
        )
    except CoopflowError as exc:
        return Outcome(ref, item, step.line, "refused", exc.message, exc)
    moved = f"{step.event}: {result.source_state} → {result.target_state}"
    detail = (
        _("programme {programme}: {moved}").format(programme=step.programme, moved=moved)
        if step.programme
        else moved
    )
    return Outcome(ref, item, step.line, "done", detail, documents=rendered + result.documents)


def _latest_document(tx: Coopflow, ref: str) -> str:
    """What ``@latest`` stands for on ``ref`` now: while the legal department reviews an avenant
    (the state declares ``amendment_review``), the latest document of that avenant (the one in
    progress, whose number is the highest); otherwise the latest protocol document."""
    info = tx.partnership(ref)
    wf = tx.workflows.get(info.workflow, info.workflow_version)
    documents = tx.documents_of(ref)
    if wf.allows(info.state, "amendment_review"):
        avenants = [d for d in documents if d.kind == "avenant"]
        if not avenants:
            raise CoopflowError(
                _("{latest}: {reference} has no avenant document yet").format(
                    latest=LATEST, reference=ref
                )
            )
        number = max(int(d.subject) for d in avenants)
        docs = [d for d in avenants if int(d.subject) == number]
    else:
        docs = [d for d in documents if d.kind == "protocole" and d.subject == ""]
        if not docs:
            raise CoopflowError(
                _("{latest}: {reference} has no protocol document yet").format(
                    latest=LATEST, reference=ref
                )
            )
    return max(docs, key=lambda d: d.version).sha256
