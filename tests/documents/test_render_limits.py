"""A render is bounded in time (``max_seconds``, ``Coopflow(render_timeout=...)``) and in size.

An organisation's own template runs in Jinja's sandbox, which stops it from reaching anything,
but not from looping: such a render is stopped at its time limit with a TemplateError that names
the limit, the renderer serves the next document as before, and through Coopflow nothing is
stored or journaled.  The limits are small here so that the tests are fast; only generous upper
bounds on the time taken are asserted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from coopflow import Coopflow
from coopflow.cli import cli
from coopflow.cli._app import render_timeout
from coopflow.documents import RenderedDocument, Renderer, render_many
from coopflow.documents._render import MAX_SECONDS
from coopflow.errors import TemplateError, ValidationError

from tests import scenario
from tests.documents import samples

#: A render stopped at its limit is interrupted by an exception raised in its thread at its
#: next Python instruction; when that instruction belongs to a garbage-collector callback (the
#: test session's hypothesis installs one), Python reports the exception as "ignored" there
#: and the renderer raises it again until the render stops. That report is not a failure of
#: the render the tests check.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

#: Nested loops that write nothing: 10^10 turns of Jinja's loop, hours of pure Python.
ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
#: 10^10 paragraphs: terabytes of HTML, were it written out.
ENORMOUS = (
    "{% for i in range(100000) %}{% for j in range(100000) %}"
    "<p>Article {{ i }}-{{ j }} du protocole sans fin.</p>{% endfor %}{% endfor %}"
)
#: 40,000 paragraphs: little HTML (1.6 MB), but well over a thousand pages to lay out.
THOUSANDS_OF_PAGES = (
    "{% for i in range(40000) %}<p>Article {{ i }} du protocole sans fin.</p>{% endfor %}"
)
#: Generous: how much later than its limit a stopped render may come back, on a loaded machine.
LATE = 10.0


def _folder(tmp_path: Path, body: str) -> Path:
    """An organisation's template folder whose protocol template's body is ``body``."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "protocole.html.j2").write_text(
        '{% extends "_base.html.j2" %}{% block body %}' + body + "{% endblock %}",
        encoding="utf-8",
    )
    return folder


def _render_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "coopflow-render" and t.is_alive()]


def _no_render_left_running() -> bool:
    """Whether every render thread has ended (waiting a little for one that is ending)."""
    give_up = time.monotonic() + LATE
    while _render_threads():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def endless(tmp_path: Path) -> Path:
    return _folder(tmp_path, ENDLESS)


def test_a_template_that_loops_is_stopped_at_the_time_limit(endless: Path) -> None:
    renderer = Renderer(endless, max_seconds=1)
    started = time.monotonic()
    with pytest.raises(TemplateError) as refused:
        renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    took = time.monotonic() - started
    assert refused.value.template == "protocole.html.j2"
    message = str(refused.value)
    assert "the document took longer than 1 second to render" in message
    for name in ("max_seconds", "render_timeout", "COOPFLOW_RENDER_TIMEOUT"):
        assert name in message
    assert 1 <= took < 1 + LATE
    assert _no_render_left_running()  # the render was stopped, not left behind


def test_the_html_alone_is_bounded_too(endless: Path) -> None:
    with pytest.raises(TemplateError, match=r"longer than 0\.5 seconds"):
        Renderer(endless, max_seconds=0.5).render_html(samples.protocol())
    assert _no_render_left_running()


def test_a_renderer_stopped_once_renders_the_next_document(
    endless: Path, avenant_doc: RenderedDocument
) -> None:
    """The stopped render released the renderer and left nothing half done in it."""
    renderer = Renderer(endless, max_seconds=3)  # ample for the avenant on a loaded machine
    with pytest.raises(TemplateError, match="longer than 3 seconds"):
        renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    # The avenant's template is the built-in one: the same bytes as the built-in renderer's.
    assert renderer.render(samples.avenant(), produced_at=samples.MOMENT).pdf == avenant_doc.pdf


@pytest.mark.parametrize(
    "value", [0, -1, True, False, "10", float("nan"), float("inf"), 86_401, 10**9]
)
def test_the_time_limit_is_a_number_of_seconds_up_to_a_day(value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        Renderer(max_seconds=value)
    assert refused.value.field == "max_seconds"
    with pytest.raises(ValidationError) as refused:
        render_many([], max_seconds=value)
    assert refused.value.field == "max_seconds"
    with pytest.raises(ValidationError) as refused:  # at once, before any render
        Coopflow("sqlite://", render_timeout=value, check=False)
    assert refused.value.field == "render_timeout"


@pytest.mark.parametrize("value", [0.5, 1, 120, 86_400])
def test_a_time_limit_up_to_a_day_is_accepted(value: float) -> None:
    Renderer(max_seconds=value)
    Coopflow("sqlite://", render_timeout=value, check=False).close()


def test_coopflow_s_default_time_limit_is_the_renderer_s() -> None:
    with pytest.raises(ValidationError, match="max_seconds"):
        Renderer(max_seconds=None)  # type: ignore[arg-type]
    with Coopflow("sqlite://", render_timeout=None, check=False) as cf:
        assert cf.documents.renderer()._max_seconds == MAX_SECONDS


def test_enormous_html_is_refused_before_it_fills_the_memory(tmp_path: Path) -> None:
    """Written out, the HTML would be terabytes: it is refused as soon as it is longer than
    the pages allowed could hold, long before the time limit."""
    renderer = Renderer(_folder(tmp_path, ENORMOUS), max_pages=500, max_seconds=60)
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"more than the 500 pages allowed \(max_pages\)"):
        renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    assert time.monotonic() - started < 60


def test_thousands_of_pages_are_stopped_during_the_layout(tmp_path: Path) -> None:
    """Little HTML, but WeasyPrint would lay out more than a thousand pages before counting
    them: the time limit stops its layout."""
    renderer = Renderer(_folder(tmp_path, THOUSANDS_OF_PAGES), max_seconds=2)
    assert len(renderer.render_html(samples.protocol())) < 2_000_000  # Jinja is done at once
    started = time.monotonic()
    with pytest.raises(TemplateError, match="longer than 2 seconds"):
        renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    assert time.monotonic() - started < 2 + LATE
    assert _no_render_left_running()


def test_a_normal_render_is_unaffected(protocol_doc: RenderedDocument) -> None:
    renderer = Renderer(max_seconds=60)
    first = renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    second = renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    assert first.pdf == second.pdf == protocol_doc.pdf


def test_no_interruption_comes_after_a_render_returned() -> None:
    """The caller goes on past the limit of the render that returned: nothing is raised in it
    later, and no render thread is left."""
    renderer = Renderer(max_seconds=1)
    for _ in range(2):
        html = renderer.render_html(samples.avenant(), produced_at=samples.MOMENT)
        assert "Avenant" in html
        busy_until = time.monotonic() + 1.2  # pure Python, past the limit
        turns = 0
        while time.monotonic() < busy_until:
            turns += 1
        assert turns > 0
    assert _no_render_left_running()


def test_renders_stopped_in_several_threads_each_come_back(endless: Path) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            Renderer(endless, max_seconds=0.5).render(samples.protocol())
        except TemplateError as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=0.5 + LATE)
        assert not thread.is_alive()
    assert len(errors) == 2
    assert _no_render_left_running()


@pytest.mark.slow
def test_render_many_in_parallel_honours_the_time_limit(endless: Path) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError, match="longer than 5 seconds") as refused:
        render_many(
            [samples.avenant(), samples.protocol()],
            workers=2,
            template_dir=endless,
            produced_at=samples.MOMENT,
            max_seconds=5,  # ample for the avenant in a process just started
        )
    assert refused.value.template == "protocole.html.j2"
    assert refused.value.__notes__ == ["while rendering snapshot 1 of 2"]
    assert time.monotonic() - started < 60  # two processes start, and stop at once


def test_render_many_in_one_process_honours_the_time_limit(endless: Path) -> None:
    with pytest.raises(TemplateError, match=r"longer than 0\.5 seconds") as refused:
        render_many(
            [samples.protocol()], template_dir=endless, produced_at=samples.MOMENT, max_seconds=0.5
        )
    assert refused.value.__notes__ == ["while rendering snapshot 0 of 1"]


@pytest.fixture
def drafting(migrated_url: str) -> Iterator[str]:
    """A partnership in drafting, made with the built-in templates; its reference."""
    with Coopflow(migrated_url) as cf:
        yield scenario.in_drafting(cf)


def test_a_fire_whose_document_outlasts_the_limit_stores_nothing(
    migrated_url: str, drafting: str, endless: Path
) -> None:

    with Coopflow(migrated_url, templates_dir=endless, render_timeout=1) as cf:
        records = len(cf.history(drafting))
        started = time.monotonic()
        with pytest.raises(TemplateError, match="longer than 1 second ") as refused:
            cf.fire(drafting, "soumettre_revue_juridique", scenario.STAFF)
        assert time.monotonic() - started < 1 + LATE
        assert refused.value.template == "protocole.html.j2"
        assert cf.partnership(drafting).state == "contractualisation.redaction"
        assert cf.documents_of(drafting) == []
        assert len(cf.history(drafting)) == records
        # Coopflow.render too, and the instance goes on serving other calls.
        with pytest.raises(TemplateError, match="longer than 1 second "):
            cf.render(drafting, "protocole", actor=scenario.STAFF)
        assert cf.documents_of(drafting) == []
        assert len(cf.history(drafting)) == records
        assert cf.verify(drafting).ok
    with Coopflow(migrated_url) as cf:  # the built-in templates render it as before
        cf.fire(drafting, "soumettre_revue_juridique", scenario.STAFF)
        assert [doc.kind for doc in cf.documents_of(drafting)] == ["protocole"]


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "100000"])
def test_the_command_line_s_time_limit_is_checked(migrated_url: str, value: str) -> None:
    env = {"COOPFLOW_RENDER_TIMEOUT": value, "COOPFLOW_ACTOR": scenario.STAFF.id}
    result = CliRunner().invoke(cli, ["--db", migrated_url, "partnership", "list"], env=env)
    assert result.exit_code == 2, result.output
    assert "COOPFLOW_RENDER_TIMEOUT" in result.output


def test_the_command_line_takes_its_time_limit_from_the_environment(migrated_url: str) -> None:
    env = {"COOPFLOW_RENDER_TIMEOUT": " 30 ", "COOPFLOW_ACTOR": scenario.STAFF.id}
    result = CliRunner().invoke(cli, ["--db", migrated_url, "partnership", "list"], env=env)
    assert result.exit_code == 0, result.output
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOPFLOW_RENDER_TIMEOUT", "2.5")
        assert render_timeout() == 2.5
        patch.setenv("COOPFLOW_RENDER_TIMEOUT", "")
        assert render_timeout() is None
