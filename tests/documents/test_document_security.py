"""Hostile data stays text, fetches nothing; organisations' templates run in a sandbox."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from coopflow.documents import Renderer
from coopflow.documents._assets import ASSET_BASE_URL, FONTS_DIR, AssetFetcher
from coopflow.errors import TemplateError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.documents import samples
from tests.documents.pdfcheck import page_texts, squeeze

HOSTILE = [
    "<link rel=attachment href=file:///etc/passwd>",
    "<img src=http://169.254.169.254/>",
    "<style>@import url(http://x)</style>",
    "url(http://169.254.169.254/)",
    "{{ 7*7 }}",
    "{% raw %}",
]


def _weasyprint_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.levelname}: {record.getMessage()}"
        for record in caplog.records
        if record.name.startswith("weasyprint") and record.levelno >= logging.WARNING
    ]


def _fetched_only_own_assets(fetcher: AssetFetcher) -> None:
    assert list(fetcher.refused) == []
    assert set(fetcher.requested) <= fetcher.allowed
    assert all(url.startswith(ASSET_BASE_URL) for url in fetcher.requested)


@pytest.fixture
def fresh_renderer() -> Renderer:
    """A renderer of its own, so that its fetcher's log is this test's alone."""
    return Renderer()


def test_harfbuzz_subset_is_installed(caplog: pytest.LogCaptureFixture) -> None:
    """WeasyPrint warns at every render without HarfBuzz's subsetter (Debian libharfbuzz-subset0)
    and falls back to fontTools, which subsets fonts differently."""
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset, "install the system library libharfbuzz-subset0"


def test_the_fetcher_serves_only_the_package_assets() -> None:
    fetcher = AssetFetcher()
    assert f"{ASSET_BASE_URL}fonts/LiberationSerif-Regular.ttf" in fetcher.allowed
    assert f"{ASSET_BASE_URL}static/coopflow.css" in fetcher.allowed
    assert not any("LICENSE" in url for url in fetcher.allowed)
    response = fetcher.fetch(f"{ASSET_BASE_URL}fonts/LiberationSerif-Regular.ttf")
    assert response.read()[:4] == b"\x00\x01\x00\x00"
    response.close()
    for url in (
        "file:///etc/passwd",
        "http://169.254.169.254/",
        "https://example.org/",
        "data:text/css,body{}",
        f"{ASSET_BASE_URL}fonts/../../../../etc/passwd",
        f"{ASSET_BASE_URL}fonts/LICENSE-Liberation.txt",
        f"{ASSET_BASE_URL}static/coopflow.css?x=1",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 7


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_protocol_data_is_inert(
    payload: str, fresh_renderer: Renderer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="weasyprint")
    snapshot = samples.protocol()
    snapshot["parties"][2]["official_name"] = f"Communauté {payload}"
    snapshot["axes"][0]["stakes"][0]["title"] = f"Enjeu {payload}"
    snapshot["axes"][1]["commitments"][0]["text"] = f"Engagement {payload}"
    snapshot["signatories"][0]["last_name"] = f"Nom {payload}"

    document = fresh_renderer.render(snapshot)

    _fetched_only_own_assets(fresh_renderer._fetcher)
    assert _weasyprint_warnings(caplog) == []
    text = squeeze(" ".join(page_texts(document.pdf)))
    for literal in (f"Communauté {payload}", f"Enjeu {payload}", f"Engagement {payload}"):
        assert squeeze(literal) in text
    assert squeeze(f"Nom {payload}".upper()) in text
    if payload == "{{ 7*7 }}":
        assert "49" not in text
    html = fresh_renderer.render_html(snapshot)
    if "<" in payload:
        assert payload not in html
        assert str(escape(payload)) in html
    else:
        assert payload in html  # Jinja syntax in data is text, never evaluated


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_programme_data_is_inert(
    payload: str, fresh_renderer: Renderer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="weasyprint")
    snapshot = samples.programme()
    action = snapshot["actions"][0]
    action["title"] = f"Action {payload}"
    action["contact"] = f"Contact {payload}"
    action["partners"] = [f"Partenaire {payload}"]
    action["milestones"][0]["label"] = f"Jalon {payload}"
    action["budget"][0]["funder_name"] = f"Financeur {payload}"
    action["indicators"][0]["unit"] = f"Unité {payload}"

    document = fresh_renderer.render(snapshot)

    _fetched_only_own_assets(fresh_renderer._fetcher)
    assert _weasyprint_warnings(caplog) == []
    text = squeeze(" ".join(page_texts(document.pdf)))
    for prefix in ("Action", "Contact", "Partenaire", "Jalon", "Financeur", "Unité"):
        assert squeeze(f"{prefix} {payload}") in text, prefix


def test_rendering_the_samples_logs_no_warning(
    fresh_renderer: Renderer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="weasyprint")
    for make in (samples.protocol, samples.draft_protocol, samples.avenant, samples.programme):
        fresh_renderer.render(make())
    assert _weasyprint_warnings(caplog) == []
    _fetched_only_own_assets(fresh_renderer._fetcher)
    # The fonts came through the fetcher, each once, when the renderer was built.
    fonts = sorted(url.rsplit("/", 1)[1] for url in fresh_renderer._fetcher.requested)
    assert fonts == sorted(path.name for path in FONTS_DIR.glob("*.ttf"))


# --- Organisations' own templates ---------------------------------------------------------


def _folder(tmp_path: Path, **templates: str) -> Path:
    for name, source in templates.items():
        (tmp_path / name.replace("__", ".")).write_text(source, encoding="utf-8")
    return tmp_path


def test_custom_templates_cannot_reach_python_internals(tmp_path: Path) -> None:
    folder = _folder(tmp_path, protocole__html__j2="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    renderer = Renderer(folder)
    assert renderer.sandboxed
    with pytest.raises(TemplateError, match=r"protocole\.html\.j2") as caught:
        renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    assert caught.value.template == "protocole.html.j2"


def test_custom_templates_cannot_mutate_the_data(tmp_path: Path) -> None:
    folder = _folder(tmp_path, protocole__html__j2="{{ snapshot.parties.append(1) }}")
    with pytest.raises(TemplateError, match="SecurityError"):
        Renderer(folder).render_html(samples.protocol())


def test_custom_templates_fail_on_undefined_names(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, protocole__html__j2="<p>{{ doc.meta.title }} {{ no_such_thing }}</p>"
    )
    with pytest.raises(TemplateError, match="no_such_thing"):
        Renderer(folder).render_html(samples.protocol())


def test_builtin_templates_fail_on_undefined_names_too(tmp_path: Path) -> None:
    folder = _folder(tmp_path, avenant__html__j2="{{ doc.amendment.no_such_key }}")
    with pytest.raises(TemplateError, match="no_such_key"):
        Renderer(folder).render(samples.avenant(), produced_at=samples.MOMENT)


def test_a_template_syntax_error_is_a_template_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, programme__html__j2="{% if %}")
    with pytest.raises(TemplateError, match="line 1") as caught:
        Renderer(folder).render(samples.programme(), produced_at=samples.MOMENT)
    assert caught.value.template == "programme.html.j2"


def test_a_missing_include_is_a_template_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, protocole__html__j2='{% include "nowhere.html.j2" %}')
    with pytest.raises(TemplateError, match="nowhere"):
        Renderer(folder).render(samples.protocol(), produced_at=samples.MOMENT)


def test_a_custom_template_asking_for_an_outside_resource_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _folder(
        tmp_path,
        protocole__html__j2='<html lang="fr"><body><p>Texte</p>'
        '<img src="http://169.254.169.254/latest/meta-data/" alt="x"></body></html>',
    )
    renderer = Renderer(folder)
    with pytest.raises(TemplateError, match=re.escape("refused to fetch 'http://169.254.169.254/")):
        renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    assert list(renderer._fetcher.refused) == ["http://169.254.169.254/latest/meta-data/"]


def test_a_custom_stylesheet_importing_from_outside_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, coopflow__css="@import url(file:///etc/passwd);")
    with pytest.raises(TemplateError, match="refused to fetch 'file:///etc/passwd'"):
        Renderer(folder)


def test_a_custom_template_overrides_one_builtin_and_the_rest_fall_back(
    tmp_path: Path, builtin_avenant_html: str
) -> None:
    folder = _folder(
        tmp_path,
        _base__html__j2=(
            '<!DOCTYPE html><html lang="fr"><head><title>{{ doc.meta.title }}</title></head>'
            '<body><p class="running docref">{{ doc.meta.footer }}</p>'
            "<p>Communauté urbaine de démonstration</p>{% block body %}{% endblock %}</body></html>"
        ),
    )
    renderer = Renderer(folder)
    document = renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    pages = page_texts(document.pdf)
    assert pages[0].startswith("Communauté urbaine de démonstration")
    assert "Article 11 – Litiges" in " ".join(pages)  # protocole.html.j2 is the built-in one
    builtin = Renderer().render(samples.protocol(), produced_at=samples.MOMENT)
    assert document.template_sha256 != builtin.template_sha256
    assert renderer.render_html(samples.avenant()) != builtin_avenant_html


@pytest.fixture
def builtin_avenant_html(renderer: Renderer) -> str:
    """The built-in avenant's HTML."""
    return renderer.render_html(samples.avenant())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=40))
def test_any_text_in_the_data_is_escaped_text(renderer: Renderer, text: str) -> None:
    snapshot = samples.protocol()
    snapshot["parties"][1]["official_name"] = text
    snapshot["axes"][0]["stakes"][0]["description"] = text
    html = renderer.render_html(snapshot)
    assert str(escape(text)) in html


def test_a_template_read_through_a_link_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"  # outside the organisation's folders
    secret.write_text("root:x:0:0 SECRET", "utf-8")
    (tmp_path / "org").mkdir()
    folder = _folder(tmp_path / "org", protocole__html__j2='{% include "leak.txt" %}')
    (folder / "leak.txt").symlink_to(secret)
    with pytest.raises(TemplateError, match="not through a link"):
        Renderer(folder).render(samples.protocol(), produced_at=samples.MOMENT)
    (tmp_path / "other").mkdir()
    linked = tmp_path / "other"
    (linked / "protocole.html.j2").symlink_to(secret)
    with pytest.raises(TemplateError, match="not through a link"):
        Renderer(linked).render(samples.protocol(), produced_at=samples.MOMENT)


def test_a_template_included_by_a_computed_name_is_in_the_recorded_hash(
    tmp_path: Path,
) -> None:
    folder = _folder(
        tmp_path,
        protocole__html__j2=(
            "{% extends '_base.html.j2' %}{% block body %}"
            "{% include 'part-' ~ doc.meta.title[:0] ~ 'a.html.j2' %}{% endblock %}"
        ),
    )
    (folder / "part-a.html.j2").write_text("<p>Première version</p>", "utf-8")
    first = Renderer(folder).render(samples.protocol(), produced_at=samples.MOMENT)
    assert "Première version" in " ".join(page_texts(first.pdf))
    (folder / "part-a.html.j2").write_text("<p>Seconde version</p>", "utf-8")
    second = Renderer(folder).render(samples.protocol(), produced_at=samples.MOMENT)
    assert "Seconde version" in " ".join(page_texts(second.pdf))
    assert second.template_sha256 != first.template_sha256
    assert Renderer(folder).template_sha256("protocole") == second.template_sha256
