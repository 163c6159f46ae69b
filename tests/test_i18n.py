"""French by default, English on request: the catalog is complete and compiled, the language
is chosen by ``--lang``, ``COOPFLOW_LANG`` then ``LANG``, and click's own messages follow."""

from __future__ import annotations

import gettext
import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from click.testing import CliRunner
from coopflow import _i18n
from coopflow._i18n import _, language
from coopflow.cli import cli
from coopflow.errors import ValidationError

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "engine" / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "coopflow.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "N_plural": (1, 2)}
#: ``{name}``, ``{name!r}``, ``{0:>3}``, ``%(name)s``: what must survive translation.
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]")


def _extracted() -> dict[str | tuple[str, ...], str]:
    """Every message of the sources, as ``pybabel extract`` finds them (README,
    "Translations"), with where it was found."""
    with (LOCALE / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str | tuple[str, ...], str] = {}
    for folder in ("engine", "workflows", "documents"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / folder),
            method_map,
            options_map,
            keywords=KEYWORDS,
            # Babel skips folders starting with "_" by default, such as _domain.
            directory_filter=lambda path: (
                not Path(path).name.startswith(".") and Path(path).name != "__pycache__"
            ),
        ):
            key = tuple(message) if isinstance(message, list | tuple) else message
            if key:
                found.setdefault(key, f"{folder}/{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[str | tuple[str, ...], str]:
    return _extracted()


@pytest.fixture(scope="module")
def french() -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="fr")
    return {
        (tuple(m.id) if isinstance(m.id, list | tuple) else m.id): (
            tuple(m.string) if isinstance(m.string, list | tuple) else m.string
        )
        for m in catalog
        if m.id and not m.fuzzy
    }


def test_the_sources_hold_the_messages_a_person_reads(
    extracted: dict[str | tuple[str, ...], str],
) -> None:
    # The extraction itself works: help texts from the command tree, _() calls, click's own.
    assert "Print JSON." in extracted
    assert "Show this message and exit." in extracted
    assert any("unknown language" in str(m) for m in extracted)
    assert "adding an annual programme" in extracted  # from engine/_domain/
    assert len(extracted) > 500


def test_every_message_has_a_french_translation(
    extracted: dict[str | tuple[str, ...], str],
    french: dict[str | tuple[str, ...], str | tuple[str, ...]],
) -> None:
    missing = [
        f"{where}: {message!r}"
        for message, where in sorted(extracted.items(), key=lambda item: item[1])
        if not all(french.get(message) or ("",))
    ]
    assert not missing, (
        f"{len(missing)} messages have no French translation in {PO.relative_to(ROOT)}; "
        "run pybabel extract/update (README, Translations) and translate them:\n"
        + "\n".join(missing[:40])
    )


def test_translations_keep_every_placeholder(
    french: dict[str | tuple[str, ...], str | tuple[str, ...]],
) -> None:
    wrong = []
    for message, translation in french.items():
        sources = message if isinstance(message, tuple) else (message,)
        targets = translation if isinstance(translation, tuple) else (translation,)
        for i, target in enumerate(targets):  # the singular against the singular...
            expected = sorted(PLACEHOLDER.findall(sources[min(i, len(sources) - 1)]))
            if target and sorted(PLACEHOLDER.findall(target)) != expected:
                wrong.append(f"{sources[0]!r} -> {target!r}")
    assert not wrong, "\n".join(wrong[:40])


def test_the_compiled_catalog_is_the_po_file(
    french: dict[str | tuple[str, ...], str | tuple[str, ...]],
) -> None:
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    for message, translation in french.items():
        if isinstance(message, tuple):
            got: str | tuple[str, ...] = (
                compiled.ngettext(message[0], message[1], 1),
                compiled.ngettext(message[0], message[1], 5),
            )
            want = (translation[0], translation[-1]) if isinstance(translation, tuple) else ()
        else:
            got, want = compiled.gettext(message), translation
        if translation and got != want:
            stale.append(str(message))
    assert not stale, "run pybabel compile (README, Translations): " + ", ".join(stale[:10])


# ----------------------------------------------------------------------------- choosing


def test_french_is_the_default_and_english_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COOPFLOW_LANG", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert _i18n.current() == "fr"
    assert _("yes") == "oui"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert _i18n.current() == "en"
    monkeypatch.setenv("COOPFLOW_LANG", "fr_FR")  # before LANG
    assert _i18n.current() == "fr"
    with language("en"):  # before both
        assert _("yes") == "yes"
        with language(None):
            assert _i18n.current() == "en"
    assert _("yes") == "oui"


def test_an_unknown_language_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as caught, language("en"):
        _i18n.set_language("klingon")
    assert caught.value.field == "locale"
    assert "'klingon'" in caught.value.message


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, list(args), env={"COOPFLOW_LANG": "", "LANG": "C", **(env or {})}
    )
    return result.exit_code, result.stdout, result.stderr


def test_the_command_line_speaks_french_by_default_and_english_on_request() -> None:
    code, out, _err = _run("--help")
    assert code == 0
    assert "Afficher ce message et quitter." in out
    assert "Utilisation :" in out
    code, out, _err = _run("--help", env={"COOPFLOW_LANG": "en"})
    assert "Show this message and exit." in out
    assert "Afficher" not in out
    code, out, _err = _run("--help", env={"LANG": "en_US.UTF-8"})
    assert "Show this message and exit." in out
    # --lang wins over the environment, and is taken anywhere on the line.
    code, out, _err = _run("fire", "--help", "--lang", "en", env={"COOPFLOW_LANG": "fr"})
    assert code == 0 and "Fire EVENT on partnership REFERENCE." in out
    code, out, _err = _run("--lang=fr", "fire", "--help", env={"COOPFLOW_LANG": "en"})
    assert code == 0 and "Afficher ce message et quitter." in out


def test_one_process_switches_language_between_commands() -> None:
    assert "Afficher ce message" in _run("--lang", "fr", "--help")[1]
    assert "Show this message" in _run("--lang", "en", "--help")[1]
    assert "Afficher ce message" in _run("--lang", "fr", "--help")[1]


def test_clicks_own_refusals_are_in_french() -> None:
    code, _out, err = _run("fire")
    assert code == 2
    assert err.startswith("erreur : Argument manquant 'REFERENCE'.")
    assert "(voir « coopflow fire --help »)" in err
    code, _out, err = _run("fire", "--no-such-option")
    assert code == 2 and "Option inconnue" in err


def test_an_unknown_lang_is_a_usage_error_in_json_too() -> None:
    code, out, err = _run("--lang", "de", "--help")
    assert code == 2 and "--lang" in err and "'de'" in err
    code, out, _err = _run("--lang", "de", "due", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "usage"


def test_a_refusal_with_json_is_json_with_accents_unescaped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    code, out, err = _run("--db", url, "due", "--json")
    assert code == 1 and not err
    body = json.loads(out)["error"]
    assert body["code"] == "schema_out_of_date"
    assert body["command"].endswith("init") and body["reasons"] == []
    assert "\\u00" not in out
    assert "le schéma" in body["message"] or "schéma" in body["message"]


def test_french_plurals_are_one_form_up_to_one_and_another_from_two() -> None:
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    assert [compiled.plural(n) for n in (0, 1, 2, 32, 1_000_000)] == [0, 0, 1, 1, 1]
