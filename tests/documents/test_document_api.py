"""The public surface of coopflow.documents, its errors, and parallel rendering."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import coopflow.documents
import pytest
from coopflow import Coopflow
from coopflow.documents import RenderedDocument, Renderer, Snapshot, render_many, snapshot_json
from coopflow.errors import DocumentError, TemplateError, ValidationError

from tests import scenario
from tests.documents import samples


def test_public_api_is_pinned() -> None:
    assert sorted(coopflow.documents.__all__) == sorted(
        [
            "PDF_VARIANT",
            "AvenantSnapshot",
            "ProgrammeSnapshot",
            "ProtocolSnapshot",
            "RenderedDocument",
            "Renderer",
            "Snapshot",
            "extract_snapshot",
            "french_amount",
            "french_date",
            "french_number",
            "render_many",
            "snapshot_json",
        ]
    )
    for name in coopflow.documents.__all__:
        assert getattr(coopflow.documents, name) is not None
    assert [field.name for field in dataclasses.fields(RenderedDocument)] == [
        "pdf",
        "sha256",
        "size",
        "template_name",
        "template_sha256",
        "title",
    ]


def test_rendered_document_is_frozen(protocol_doc: RenderedDocument) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        protocol_doc.title = "autre"  # type: ignore[misc]


def _broken(make: Any, change: Any) -> dict[str, Any]:
    snapshot = samples.as_plain(make())
    change(snapshot)
    return snapshot


CASES = [
    ("kind", lambda s: s.update(kind="convention"), "kind: unknown document kind 'convention'"),
    ("kind", lambda s: s.pop("kind"), "kind: missing key"),
    ("title", lambda s: s.pop("title"), "title: missing key"),
    (
        "parties[1].official_name",
        lambda s: s["parties"][1].pop("official_name"),
        r"parties\[1\]\.official_name: missing key",
    ),
    (
        "document_version",
        lambda s: s.update(document_version="3"),
        "document_version: expected an integer",
    ),
    ("document_version", lambda s: s.update(document_version=True), "expected an integer"),
    ("status", lambda s: s.update(status="brouillon"), "status: 'brouillon' is not one of"),
    (
        "axes[0].stakes[0].title",
        lambda s: s["axes"][0]["stakes"][0].update(title=None),
        r"axes\[0\]\.stakes\[0\]\.title: expected a string",
    ),
    ("axes", lambda s: s.update(axes={}), "axes: expected a list"),
    (
        "signatories[0].party_key",
        lambda s: s["signatories"][0].update(party_key="inconnue"),
        r"signatories\[0\]\.party_key: unknown party 'inconnue'",
    ),
    (
        "deliberations[0].sitting_date",
        lambda s: s["deliberations"][0].update(sitting_date="15/03/2027"),
        r"deliberations\[0\]\.sitting_date: invalid date",
    ),
    (
        "axes[1].commitments[0].party_key",
        lambda s: s["axes"][1]["commitments"][0].update(party_key="x"),
        r"axes\[1\]\.commitments\[0\]\.party_key: unknown party 'x'",
    ),
    (
        "period.end",
        lambda s: s["period"].update(end="2026-12-31"),
        "period.end: the period ends before it starts",
    ),
    (
        "parties[3]",
        lambda s: s["parties"].append(dict(s["parties"][0])),
        "duplicate party key 'bordeaux-metropole'",
    ),
    ("signature.date", lambda s: s["signature"].update(date="demain"), "signature.date: invalid"),
]


@pytest.mark.parametrize(("field", "change", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_malformed_protocol_is_a_validation_error_naming_the_key(
    renderer: Renderer, field: str, change: Any, message: str
) -> None:
    snapshot = _broken(samples.protocol, change)
    with pytest.raises(ValidationError, match=message) as caught:
        renderer.render(snapshot, produced_at=samples.MOMENT)  # type: ignore[arg-type]
    assert caught.value.field == field
    with pytest.raises(ValidationError, match=message):
        renderer.render_html(snapshot)  # type: ignore[arg-type]


PROGRAMME_CASES = [
    (
        "actions[0].budget[0].amount",
        lambda s: s["actions"][0]["budget"][0].update(amount="1 234,50"),
        "invalid amount",
    ),
    (
        "actions[0].budget[0].amount",
        lambda s: s["actions"][0]["budget"][0].update(amount=1234.5),
        "expected a string",
    ),
    (
        "actions[2].axis_number",
        lambda s: s["actions"][2].update(axis_number=9),
        "unknown axis 9",
    ),
    (
        "actions[1].lead_party_key",
        lambda s: s["actions"][1].update(lead_party_key="nulle-part"),
        "unknown party 'nulle-part'",
    ),
    (
        "actions[0].indicators[0].target",
        lambda s: s["actions"][0]["indicators"][0].update(target="deux"),
        "invalid number",
    ),
    (
        "actions[0].milestones[1].date",
        lambda s: s["actions"][0]["milestones"][1].update(date="2027-13-01"),
        "invalid date",
    ),
]


@pytest.mark.parametrize(
    ("field", "change", "message"), PROGRAMME_CASES, ids=[c[0] for c in PROGRAMME_CASES]
)
def test_a_malformed_programme_is_a_validation_error_naming_the_key(
    renderer: Renderer, field: str, change: Any, message: str
) -> None:
    snapshot = _broken(samples.programme, change)
    with pytest.raises(ValidationError, match=message) as caught:
        renderer.render(snapshot, produced_at=samples.MOMENT)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize("value", [None, [], "protocole", 42])
def test_a_snapshot_must_be_a_mapping(renderer: Renderer, value: object) -> None:
    with pytest.raises(ValidationError, match="a snapshot is a mapping"):
        renderer.render(value, produced_at=samples.MOMENT)  # type: ignore[arg-type]


def test_snapshot_json_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(ValidationError, match="not JSON-serialisable"):
        snapshot_json({"kind": "protocole", "when": object()})


def test_template_dir_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="template_dir"):
        Renderer(tmp_path / "absent")
    with pytest.raises(ValidationError, match="template_dir"):
        render_many([], template_dir=tmp_path / "absent", produced_at=samples.MOMENT)


def test_every_document_error_is_a_coopflow_error() -> None:
    assert issubclass(TemplateError, DocumentError)


def test_one_renderer_serves_several_threads(
    renderer: Renderer, protocol_doc: RenderedDocument
) -> None:
    results: list[bytes] = []

    def work() -> None:
        results.append(renderer.render(samples.protocol(), produced_at=samples.MOMENT).pdf)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [protocol_doc.pdf] * 3


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_render_many_needs_a_positive_number_of_workers(workers: Any) -> None:
    with pytest.raises(ValidationError, match="workers"):
        render_many([samples.protocol()], workers=workers, produced_at=samples.MOMENT)


def test_render_many_in_one_process_keeps_the_order(all_docs: dict[str, RenderedDocument]) -> None:
    results = render_many([samples.programme(), samples.protocol()], produced_at=samples.MOMENT)
    assert [r.pdf for r in results] == [all_docs["programme"].pdf, all_docs["protocole"].pdf]


def test_render_many_reports_which_snapshot_failed() -> None:
    broken = samples.as_plain(samples.avenant())
    broken["amendment"]["number"] = 0
    with pytest.raises(ValidationError, match=r"amendment\.number") as caught:
        render_many([samples.avenant(), broken], produced_at=samples.MOMENT)  # type: ignore[list-item]
    assert caught.value.__notes__ == ["while rendering snapshot 1 of 2"]


@pytest.mark.slow
def test_render_many_in_parallel_gives_the_same_documents_in_order(
    all_docs: dict[str, RenderedDocument],
) -> None:
    snapshots: list[Snapshot] = [
        samples.programme(),
        samples.protocol(),
        samples.avenant(),
        samples.protocol(),
    ]
    results = render_many(snapshots, workers=2, produced_at=samples.MOMENT)
    assert [r.pdf for r in results] == [
        all_docs["programme"].pdf,
        all_docs["protocole"].pdf,
        all_docs["avenant"].pdf,
        all_docs["protocole"].pdf,
    ]


@pytest.mark.slow
def test_render_many_in_parallel_carries_the_worker_s_error_back(tmp_path: Path) -> None:
    (tmp_path / "avenant.html.j2").write_text("{{ nothing }}", encoding="utf-8")
    with pytest.raises(TemplateError, match="nothing") as caught:
        render_many(
            [samples.protocol(), samples.avenant()],
            workers=2,
            template_dir=tmp_path,
            produced_at=samples.MOMENT,
        )
    assert caught.value.template == "avenant.html.j2"
    assert caught.value.__notes__ == ["while rendering snapshot 1 of 2"]


def test_a_render_holds_no_lock_while_weasyprint_runs(cf: Coopflow) -> None:
    """Other writers go on while a document renders; if one changed the data the document is
    made from, the render is done again from what the data says now."""
    ref = scenario.in_drafting(cf)
    other = Coopflow(cf.engine.url.render_as_string(hide_password=False))
    renders: list[int] = []
    original = cf.documents.render

    def render_while_others_write(plan: Any) -> Any:
        renders.append(plan.version)
        if len(renders) == 1:  # in the middle of the first render, another actor writes
            other.add_axis(
                ref,
                "Culture et patrimoine",
                objectives=["Croiser les saisons"],
                actor=scenario.STAFF,
            )
        return original(plan)

    cf.documents.render = render_while_others_write  # type: ignore[method-assign]
    try:
        info = cf.render(ref, "protocole", actor=scenario.STAFF)
    finally:
        other.close()
    assert len(renders) == 2  # the first result was for data that no longer stood
    snapshot = json.loads(cf.snapshot(ref, "protocole"))
    assert [a["title"] for a in snapshot["axes"]][-1] == "Culture et patrimoine"
    assert info.snapshot_sha256 == cf.documents_of(ref)[-1].snapshot_sha256
    assert cf.verify(ref).ok


def test_a_document_longer_than_max_pages_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"more than the 2 allowed"):
        Renderer(max_pages=2).render(samples.protocol(), produced_at=samples.MOMENT)
    with pytest.raises(ValidationError):
        Renderer(max_pages=0)
