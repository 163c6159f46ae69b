"""The articles of a protocol, and what avenants do to them.

The protocol's articles are fixed by its template (numbered 1 to 11, or 1 to 13 with a foreign
authority: languages and applicable law come before disputes).  An avenant's changes each aim
at one article: it is rewritten (``rediger``), completed by a paragraph (``completer``),
followed by an inserted article (``inserer``: after article 4, article 4-1, then 4-2...) or
repealed (``abroger``).  :func:`consolidate` applies signed avenants in order and says, for
every article, what its text has become and which avenants changed it; a change aimed at an
article the protocol does not have (or no longer has) is refused with a ValidationError.

Pure Python: the engine checks changes with it when they are entered, and the documents build
the avenant's wording and the consolidated protocol from it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ._i18n import N_, _
from .errors import ValidationError

#: The operations of a change, with what each needs besides its article.
OPERATIONS: Final = {
    "rediger": N_("rewrites the article (text; optional title)"),
    "completer": N_("adds a paragraph at the end of the article (text)"),
    "inserer": N_("inserts a new article after it (title and text)"),
    "abroger": N_("repeals the article"),
}
#: A change written before revision 0008, as one free paragraph: printed, never applied.
FREE: Final = "libre"

_NUMBER = re.compile(r"([1-9][0-9]?)(?:-([1-9][0-9]?))?", re.ASCII)


@dataclass(frozen=True, slots=True)
class Article:
    """An article as the protocol's template writes it."""

    number: str
    key: str  # what the template prints under it ("objet", "axes"...)
    title: str


_COMMON: Final = (
    ("objet", "Objet"),
    ("axes", "Axes de coopération"),
    ("engagements", "Engagements des Parties"),
    ("gouvernance", "Gouvernance"),
    ("programme", "Programme de travail annuel"),
    ("moyens", "Moyens"),
    ("suivi", "Suivi et évaluation"),
    ("duree", "Durée et prise d'effet"),
    ("avenant", "Modification par avenant"),
    ("resiliation", "Résiliation"),
)
_FOREIGN_TITLES: Final = {
    "moyens": "Moyens et engagements financiers",
    "duree": "Durée et entrée en vigueur",
}


def protocol_articles(foreign: bool) -> list[Article]:
    """The articles of a protocol, with (``foreign``) or without a foreign authority."""
    keys = [(key, _FOREIGN_TITLES.get(key, title) if foreign else title) for key, title in _COMMON]
    if foreign:
        keys += [("langues", "Langues"), ("droit", "Droit applicable")]
    keys.append(("litiges", "Règlement des différends" if foreign else "Litiges"))
    return [Article(str(i), key, title) for i, (key, title) in enumerate(keys, start=1)]


def sort_key(number: str) -> tuple[int, int]:
    """``"4-1"`` sorts after ``"4"`` and before ``"5"``."""
    match = _NUMBER.fullmatch(number)
    if match is None:
        raise ValidationError(
            _("{value!r} is not an article number (7, 4-1)").format(value=number), field="article"
        )
    return int(match[1]), int(match[2] or 0)


def article_number(value: object, where: str = "article") -> str:
    """An article number as staff type it (``7``, ``"4-1"``, ``"article 4-1"``), checked."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(
            _("expected an article number, got {value!r}").format(value=value), field=where
        )
    text = str(value).strip()
    text = re.sub(r"^(?:l'\s*)?article\s+", "", text, flags=re.IGNORECASE)
    if _NUMBER.fullmatch(text) is None:
        raise ValidationError(
            _("{value!r} is not an article number (7, 4-1)").format(value=value), field=where
        )
    return text


@dataclass(slots=True)
class ArticleState:
    """An article of the consolidated protocol."""

    number: str
    key: str | None  # the template's article, or None for one an avenant inserted
    title: str
    text: list[str] | None = None  # the paragraphs an avenant wrote in (None: the template's)
    appended: list[str] = field(default_factory=list)  # paragraphs added at its end
    repealed: bool = False
    #: What each avenant did to it, in order: (avenant, "inséré" | "modifié" | "abrogé").
    history: list[tuple[int, str]] = field(default_factory=list)

    @property
    def amended_by(self) -> list[int]:
        """The avenants that changed it, in order."""
        return list(dict.fromkeys(number for number, _ in self.history))


def paragraphs(text: str) -> list[str]:
    """Split a free text into paragraphs at blank lines; single line breaks become spaces (the
    one definition: the documents' ``paragraphs`` filter is this function)."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [" ".join(block.split()) for block in blocks if block.strip()]


def _field(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _find(articles: Sequence[ArticleState], number: str, where: str) -> ArticleState:
    for article in articles:
        if article.number == number:
            if article.repealed:
                by = ", ".join(f"n° {n}" for n in article.amended_by)
                raise ValidationError(
                    _(
                        "article {number} was repealed (avenant {avenants}): a change cannot aim "
                        "at it"
                    ).format(number=number, avenants=by),
                    field=where,
                )
            return article
    numbers = [a.number for a in articles if not a.repealed]
    raise ValidationError(
        _("the protocol has no article {number} (its articles: {articles})").format(
            number=number, articles=", ".join(numbers)
        ),
        field=where,
    )


def insertion_point(
    articles: Sequence[ArticleState], after: str, where: str = "article"
) -> tuple[str, str]:
    """Where an article inserted after article ``after`` goes, and its number: after the last
    article numbered from the same one (after 4, then 4-1...), as ``(anchor, number)``: an
    insertion after 4 when 4-1 exists is "après l'article 4-1, un article 4-2".  Refuses an
    ``after`` the protocol does not have."""
    _find(articles, after, where)
    base = sort_key(after)[0]
    group = sorted((a for a in articles if sort_key(a.number)[0] == base), key=_key)
    return group[-1].number, f"{base}-{sort_key(group[-1].number)[1] + 1}"


def _key(article: ArticleState) -> tuple[int, int]:
    return sort_key(article.number)


def apply_change(
    articles: list[ArticleState],
    change: Mapping[str, object],
    avenant: int,
    where: str,
    touched: set[str],
) -> None:
    """Apply one change of avenant n° ``avenant`` to ``articles`` (in place), or refuse it.
    ``touched``: the articles this avenant's earlier changes aimed at or inserted (an avenant
    changes an article once)."""
    operation = change.get("operation")
    if operation == FREE:
        return
    if operation not in OPERATIONS:
        known = ", ".join(OPERATIONS)
        raise ValidationError(
            _("unknown operation {operation!r} (known: {known})").format(
                operation=operation, known=known
            ),
            field=_field(where, "operation"),
        )
    number = str(change.get("article"))
    text = change.get("text")
    texts = paragraphs(text) if isinstance(text, str) else []
    if operation == "inserer":
        anchor, new = insertion_point(articles, number, _field(where, "article"))
        if number != anchor or change.get("new_article") not in (None, new):
            raise ValidationError(
                _(
                    "the article inserted after article {number} is numbered {new}, after "
                    "article {anchor}: aim the insertion at article {anchor}"
                ).format(number=number, new=new, anchor=anchor),
                field=_field(where, "article"),
            )
        inserted = ArticleState(new, None, str(change.get("title") or ""), texts)
        inserted.history.append((avenant, "inséré"))
        articles.append(inserted)
        articles.sort(key=_key)
        touched.add(new)
        return
    target = _find(articles, number, _field(where, "article"))
    if number in touched:
        raise ValidationError(
            _(
                "avenant n° {avenant} already changes article {number}: one change an article "
                "(write it whole with rediger)"
            ).format(avenant=avenant, number=number),
            field=_field(where, "article"),
        )
    touched.add(number)
    if operation != "abroger" and not texts:
        raise ValidationError(
            _("a change that {operation}s needs a text").format(operation=operation),
            field=_field(where, "text"),
        )
    if operation == "abroger":
        target.repealed = True
        target.history.append((avenant, "abrogé"))
        return
    if operation == "rediger":
        target.text = texts
        target.appended = []
        title = change.get("title")
        if isinstance(title, str) and title:
            target.title = title
    else:  # completer
        target.appended.extend(texts)
    target.history.append((avenant, "modifié"))


def apply_avenant(
    articles: list[ArticleState],
    avenant: int,
    changes: Sequence[Mapping[str, object]],
    where: Callable[[int], str],
) -> set[str]:
    """Apply every change of avenant n° ``avenant``; the articles it touched."""
    touched: set[str] = set()
    for index, change in enumerate(changes):
        apply_change(articles, change, avenant, where(index), touched)
    return touched


def has_free(changes: Iterable[Mapping[str, object]]) -> bool:
    """Whether changes hold a paragraph written before revision 0008 (``libre``)."""
    return any(change.get("operation") == FREE for change in changes)


def initial(foreign: bool) -> list[ArticleState]:
    """The protocol's articles as its template writes them, before any avenant."""
    return [ArticleState(a.number, a.key, a.title) for a in protocol_articles(foreign)]


def consolidate(
    foreign: bool, avenants: Iterable[tuple[int, Sequence[Mapping[str, object]]]]
) -> list[ArticleState]:
    """The protocol's articles once ``avenants`` (number, changes), in order, are applied."""
    articles = initial(foreign)
    for number, changes in avenants:
        apply_avenant(articles, number, changes, functools.partial(_where, number))
    return articles


def _where(avenant: int, index: int) -> str:
    return f"avenant {avenant}, change {index + 1}"
