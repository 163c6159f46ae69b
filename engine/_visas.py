"""The visas of a protocol or an avenant: data of the home organisation (``visas.toml``).

The built-in ``visas.toml`` (beside the templates) cites the articles that found the
competence of each nature of party and of a cooperation with a foreign authority; an
organisation's template folder may hold its own, which replaces it.  :func:`resolve` gives the
visas of one document, in order: the common ones, the foreign authority's, each nature's (in
the order of the parties), each scale's; the articles of one code are merged into one visa
(``Vu le code général des collectivités territoriales, notamment ses articles L. 1111-9,
L. 1115-1 et suivants et L. 5217-1 et suivants ;``).  The engine stores the result in the
document's snapshot, so that the approved text names its visas.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ._i18n import _
from ._vocabulary import NATURES, SCALES
from .errors import TemplateError

FILE: Final = "visas.toml"
NBSP: Final = "\u00a0"
NNBSP: Final = "\u202f"
_ARTICLE = re.compile(r"([LRD])\.?\s*(\d+)(?:-(\d+))?")


@dataclass(frozen=True, slots=True)
class Group:
    """The visas one group cites: articles by code, and whole texts."""

    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    texts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Visas:
    """A parsed ``visas.toml``."""

    common: Group
    foreign: Group
    natures: dict[str, Group]
    scales: dict[str, Group]
    source: str  # where it was read, for messages


def _group(raw: object, where: str, source: str) -> Group:
    if not isinstance(raw, Mapping):
        raise TemplateError(
            FILE, _("{source}: [{where}] is not a table").format(source=source, where=where)
        )
    unknown = set(raw) - {"codes", "texts"}
    if unknown:
        raise TemplateError(
            FILE,
            _("{source}: [{where}] has unknown keys {keys}").format(
                source=source, where=where, keys=sorted(unknown)
            ),
        )
    codes_raw = raw.get("codes", {})
    texts = raw.get("texts", [])
    if not isinstance(codes_raw, Mapping) or not isinstance(texts, list):
        raise TemplateError(
            FILE,
            _("{source}: [{where}] codes is a table, texts a list").format(
                source=source, where=where
            ),
        )
    codes: dict[str, tuple[str, ...]] = {}
    for code, articles in codes_raw.items():
        if not isinstance(articles, list) or not all(isinstance(a, str) for a in articles):
            raise TemplateError(
                FILE,
                _("{source}: [{where}.codes] {code!r} is not a list of texts").format(
                    source=source, where=where, code=code
                ),
            )
        codes[" ".join(str(code).split())] = tuple(_article(a) for a in articles)
    for text in texts:
        if not isinstance(text, str) or not text.strip().startswith("Vu "):
            raise TemplateError(
                FILE,
                _('{source}: [{where}] texts: {text!r} is not a visa ("Vu ... ;")').format(
                    source=source, where=where, text=text
                ),
            )
    return Group(codes, tuple(_visa_text(t) for t in texts))


def _article(text: str) -> str:
    """``L. 1115-1 et suivants`` with a no-break space after ``L.``."""
    clean = " ".join(text.split())
    return re.sub(r"\b([LRD])\. ", rf"\1.{NBSP}", clean)


def _visa_text(text: str) -> str:
    clean = " ".join(text.split()).rstrip(" ;\u202f")
    return f"{clean}{NNBSP};"


def parse(data: bytes, source: str) -> Visas:
    """Read a ``visas.toml``; a :class:`TemplateError` names what is wrong in it."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise TemplateError(
            FILE, _("{source}: {error}").format(source=source, error=error)
        ) from None
    unknown = set(raw) - {"common", "foreign", "natures", "scales"}
    if unknown:
        raise TemplateError(
            FILE,
            _("{source}: unknown tables {tables}").format(source=source, tables=sorted(unknown)),
        )
    by: dict[str, dict[str, Group]] = {}
    for name, known in (("natures", NATURES), ("scales", SCALES)):
        table = raw.get(name, {})
        if not isinstance(table, Mapping):
            raise TemplateError(
                FILE, _("{source}: [{name}] is not a table").format(source=source, name=name)
            )
        for key in table:
            if key not in known:
                raise TemplateError(
                    FILE,
                    _("{source}: [{name}.{key}]: {key!r} is not one of {known}").format(
                        source=source, name=name, key=key, known=sorted(known)
                    ),
                )
        by[name] = {key: _group(value, f"{name}.{key}", source) for key, value in table.items()}
    return Visas(
        common=_group(raw.get("common", {}), "common", source),
        foreign=_group(raw.get("foreign", {}), "foreign", source),
        natures=by["natures"],
        scales=by["scales"],
        source=source,
    )


def load(template_dir: Path | None) -> Visas:
    """The organisation's ``visas.toml`` (a regular file of its template folder), else the
    built-in one."""
    if template_dir is not None:
        path = Path(template_dir) / FILE
        if path.is_symlink():
            raise TemplateError(FILE, _("{path} is a link, not a regular file").format(path=path))
        if path.is_file():
            return parse(path.read_bytes(), str(path))
    return parse(builtin_path().read_bytes(), f"coopflow/documents/templates/{FILE}")


def builtin_path() -> Path:
    """The built-in ``visas.toml``, found without importing ``coopflow.documents`` (and
    WeasyPrint with it)."""
    spec = importlib.util.find_spec("coopflow.documents")
    assert spec is not None, "coopflow.documents is shipped with coopflow"
    assert spec.submodule_search_locations, "coopflow.documents is a package"
    return Path(next(iter(spec.submodule_search_locations))) / "templates" / FILE


#: Legislative articles first, then regulatory ones: L, R, D.
_PARTS: Final = {"L": 0, "R": 1, "D": 2}


def _sort_key(article: str) -> tuple[int, int, int, str]:
    match = _ARTICLE.match(article)
    if match is None:
        return (len(_PARTS), 0, 0, article)
    return (_PARTS[match[1]], int(match[2]), int(match[3] or 0), article)


def _enumerate(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"


def resolve(visas: Visas, natures: Iterable[str], scale: str) -> list[str]:
    """The visas of a document whose parties have ``natures`` (in order), at ``scale``."""
    kinds = list(dict.fromkeys(natures))
    groups = [visas.common]
    if "ETRANGER" in kinds:
        groups.append(visas.foreign)
    groups += [visas.natures[n] for n in kinds if n in visas.natures]
    if scale in visas.scales:
        groups.append(visas.scales[scale])
    codes: dict[str, list[str]] = {}
    texts: list[str] = []
    for group in groups:
        for code, articles in group.codes.items():
            listed = codes.setdefault(code, [])
            listed += [a for a in articles if a not in listed]
        texts += [t for t in group.texts if t not in texts]
    result = []
    for code, cited in codes.items():
        if not cited:
            result.append(f"Vu le {code}{NNBSP};")
            continue
        ordered = sorted(cited, key=_sort_key)
        which = "son article" if len(ordered) == 1 else "ses articles"
        result.append(f"Vu le {code}, notamment {which} {_enumerate(ordered)}{NNBSP};")
    return result + texts
