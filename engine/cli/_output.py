"""What the command prints: tables and named values (rich on a terminal, aligned plain text
otherwise), JSON, and the ``error:`` lines on stderr that say why coopflow refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from coopflow._i18n import _, current
from coopflow.errors import CoopflowError, GuardFailed, Reason

if TYPE_CHECKING:
    from coopflow import ApplyReport, DocumentInfo, VerifyReport
    from coopflow._script import Outcome, ScriptFailed


def is_terminal() -> bool:
    return sys.stdout.isatty()


#: Tables give times in the service's time zone (JSON gives them in UTC).
LOCAL_ZONE = "Europe/Paris"


def local_time(value: dt.datetime) -> str:
    """``value`` in Paris time, to the second (a naive value is UTC, as stored)."""
    from zoneinfo import ZoneInfo

    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(LOCAL_ZONE)).strftime("%Y-%m-%d %H:%M:%S")


def time_column(name: str) -> str:
    """A table's header of times: ``at (Paris time)``."""
    return _("{column} (Paris time)").format(column=name)


def cell(value: object) -> str:  # noqa: PLR0911 - one return a kind of value
    """A value as the text of a table's cell."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, Decimal):
        return amount(value)
    return str(value)


def amount(value: Decimal) -> str:
    """An amount as the reader writes it: ``1 484 567,50`` in French (no-break spaces between
    thousands, a decimal comma), ``1484567.50`` in English (as JSON gives it)."""
    if current() != "fr":
        return str(value)
    return f"{value:,}".replace(",", "\u00a0").replace(".", ",")  # its own decimals


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    title: str = "",
    *,
    section: bool = False,
) -> None:
    """A table: rich on a terminal; aligned columns (one row a line) otherwise.  A ``section``
    (one of several tables a command prints) says its title in plain text too, after a blank
    line."""
    cells = [[cell(c) for c in row] for row in rows]
    if is_terminal():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        drawn = Table(title=title or None, title_justify="left")
        for i, name in enumerate(columns):
            # A column of single words (references, events, states, dates) is never wrapped:
            # the other columns wrap between words, and fold only a word wider than the screen.
            drawn.add_column(name, overflow="fold", no_wrap=_single_words(row[i] for row in cells))
        for row in cells:
            drawn.add_row(*(Text(c) for c in row))
        Console().print(drawn)
        return
    if section and title:
        click.echo(f"\n{title}")
    flat = [[c.replace("\n", "; ") for c in row] for row in cells]
    widths = [max(len(r[i]) for r in [list(columns), *flat]) for i in range(len(columns))]
    for row in [list(columns), *flat]:
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        click.echo(line.rstrip())


#: The longest word a column keeps on one line (longer ones may be folded).
_LONGEST_WORD = 40


_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?")


def _single_words(column: Iterable[str]) -> bool:
    """Whether every cell of a column is one word that fits on a line (no space in it; a
    date and time count as one word)."""
    return all(
        len(c) <= _LONGEST_WORD and (_MOMENT.fullmatch(c) or not any(x.isspace() for x in c))
        for c in column
    )


def fields(pairs: Sequence[tuple[str, object]], title: str = "") -> None:
    """Named values, one a line (a two-column table without header on a terminal)."""
    if is_terminal():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        drawn = Table(title=title or None, title_justify="left", show_header=False, box=None)
        drawn.add_column(style="bold")
        drawn.add_column(overflow="fold")
        for name, value in pairs:
            drawn.add_row(Text(name), Text(cell(value)))
        Console().print(drawn)
        return
    if title:
        click.echo(title)
    width = max(len(name) for name, _ in pairs)
    for name, value in pairs:
        text = cell(value).replace("\n", "\n" + " " * (width + 2))
        click.echo(f"{name.ljust(width)}  {text}")


def _instance_of(value: object, module: str, name: str) -> bool:
    """``isinstance(value, module.name)``, without importing ``module`` for it: an instance of
    a class means its module was imported already (printing a listing imports no script
    runner to tell that it is not a script's report)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(value, getattr(loaded, name))


def jsonable(value: Any) -> Any:
    """A result of the API (views, reports, dates, amounts) as JSON-compatible data."""
    result: Any = value
    if isinstance(value, CoopflowError):
        result = {"type": type(value).__name__, "code": value.code, "message": value.message}
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        result = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if _instance_of(value, "coopflow._script", "ApplyReport") or _instance_of(
            value, "coopflow._journal", "VerifyReport"
        ):
            result["ok"] = cast("ApplyReport | VerifyReport", value).ok
    elif isinstance(value, dict):
        result = {str(k): jsonable(v) for k, v in value.items()}
    elif isinstance(value, list | tuple):
        result = [jsonable(v) for v in value]
    elif isinstance(value, dt.datetime):  # ISO 8601 in UTC (a naive value is UTC, as stored)
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        result = aware.astimezone(dt.UTC).isoformat()
    elif isinstance(value, dt.date):
        result = value.isoformat()
    elif isinstance(value, Decimal | Path):
        result = str(value)
    return result


def print_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), indent=2, ensure_ascii=False))


def document_label(doc: DocumentInfo) -> str:
    """``programme 2027 v1 draft``."""
    return " ".join(x for x in (doc.kind, doc.subject, f"v{doc.version}", doc.status) if x)


_asked = {"json": False}


def wants_json(value: bool) -> None:
    """Whether refusals are printed as JSON on stdout (the command was given ``--json``)."""
    _asked["json"] = value


def _json_error(code: str, message: str, reasons: Sequence[Reason] = (), **more: Any) -> None:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update({k: jsonable(v) for k, v in more.items() if v is not None})
    body["reasons"] = [r.as_dict() for r in reasons]
    click.echo(json.dumps({"error": body}, indent=2, ensure_ascii=False))


def error(message: str, *, code: str = "error") -> None:
    """One ``error:`` line on stderr (with ``--json``: the error as JSON on stdout)."""
    if _asked["json"]:
        _json_error(code, message)
        return
    click.echo(_("error: {message}").format(message=message), err=True)


def usage_error(message: str, exit_code: int) -> None:
    """A usage error of click's (an unknown option, a missing argument...)."""
    error(message, code="usage" if exit_code == 2 else "error")


def warning(message: str) -> None:
    """One ``warning:`` line on stderr (what does not fail the command)."""
    click.echo(_("warning: {message}").format(message=message), err=True)


def report_reasons(where: str, exc: GuardFailed) -> None:
    """The refused event and every reason, each with what fixes it."""
    if _asked["json"]:
        _json_error(exc.code, f"{where}{exc.message}", exc.reasons, event=exc.event)
        return
    error(_("{where}{event} refused:").format(where=where, event=exc.event))
    for reason in exc.reasons:
        click.echo(f"  - {reason}", err=True)
        if reason.command:
            click.echo("    " + _("to fix: {command}").format(command=reason.command), err=True)


def report_outcome(report: ApplyReport, outcome: Outcome) -> None:
    """Say on stderr why an item of a script was refused, naming the file, line and item."""
    where = f"{outcome.location(report.source)}: "
    if isinstance(outcome.error, GuardFailed):
        report_reasons(where, outcome.error)
    else:
        error(where + outcome.detail)


def report_error(exc: CoopflowError) -> None:
    """Say on stderr why coopflow refused: one line, or a line per reason of a guard."""
    if _instance_of(exc, "coopflow._script", "ScriptFailed"):
        failed = cast("ScriptFailed", exc)
        report_outcome(failed.report, failed.outcome)
    elif isinstance(exc, GuardFailed):
        report_reasons("", exc)
    elif _asked["json"]:
        _json_error(exc.code, exc.message, **_fields_of(exc))
    else:
        error(exc.message, code=exc.code)


def _fields_of(exc: CoopflowError) -> dict[str, Any]:
    """The structured fields of an error (``field``, ``kind``, ``key``, ``reference``...)."""
    skipped = {"message", "args", "error"}
    return {
        name: value
        for name, value in vars(exc).items()
        if not name.startswith("_") and name not in skipped
    }
