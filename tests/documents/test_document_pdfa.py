"""PDF/A-3 structure, the attached snapshot, and byte-identical output across processes.

No PDF/A validator (veraPDF) runs here; these tests check, rule by rule, what ISO 19005-3 asks of
the files coopflow writes at level A: identification in XMP, metadata consistent with the
document information dictionary, an output intent, embedded fonts with Unicode mappings, a
tagged structure of standard types, the document language, and associated files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from coopflow.documents import (
    PDF_VARIANT,
    RenderedDocument,
    Renderer,
    Snapshot,
    extract_snapshot,
    snapshot_json,
)
from coopflow.errors import DocumentError, ValidationError

from tests.documents import samples
from tests.documents.pdfcheck import descriptor, open_pdf, page_fonts, structure_types

SNAPSHOTS: dict[str, Callable[[], Snapshot]] = {
    "protocole": samples.protocol,
    "projet": samples.draft_protocol,
    "avenant": samples.avenant,
    "programme": samples.programme,
}
# ISO 32000-1, 14.8.4: the standard structure types.
STANDARD_TYPES = {
    "/Document", "/Part", "/Art", "/Sect", "/Div", "/BlockQuote", "/Caption", "/TOC", "/TOCI",
    "/Index", "/NonStruct", "/Private", "/P", "/H", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6",
    "/L", "/LI", "/Lbl", "/LBody", "/Table", "/TR", "/TH", "/TD", "/THead", "/TBody", "/TFoot",
    "/Span", "/Quote", "/Note", "/Reference", "/BibEntry", "/Code", "/Link", "/Annot", "/Ruby",
    "/RB", "/RT", "/RP", "/Warichu", "/WT", "/WP", "/Figure", "/Formula", "/Form",
}  # fmt: skip

NAMES = list(SNAPSHOTS)


@pytest.fixture(params=NAMES)
def rendered(
    request: pytest.FixtureRequest, all_docs: dict[str, RenderedDocument]
) -> tuple[str, RenderedDocument]:
    """Each sample document, with its name."""
    return request.param, all_docs[request.param]


def test_variant_is_pdf_a_3a() -> None:
    assert PDF_VARIANT == "pdf/a-3a"


def test_rendered_document_fields(rendered: tuple[str, RenderedDocument]) -> None:
    _, document = rendered
    assert document.pdf.startswith(b"%PDF-1.7\n")
    assert document.sha256 == hashlib.sha256(document.pdf).hexdigest()
    assert document.size == len(document.pdf)
    assert re.fullmatch(r"[0-9a-f]{64}", document.template_sha256)


def test_xmp_identifies_pdf_a_3a_and_matches_the_info_dictionary(
    rendered: tuple[str, RenderedDocument],
) -> None:
    _, document = rendered
    with open_pdf(document.pdf) as pdf:
        xmp = pdf.Root.Metadata.read_bytes().decode()
        assert 'pdfaid:part="3"' in xmp
        assert 'pdfaid:conformance="A"' in xmp
        info = pdf.docinfo
        meta = pdf.open_metadata()
        assert str(info.Title) == document.title == meta["dc:title"]
        assert str(info.Author) == "Bordeaux Métropole"
        assert meta["dc:creator"] == ["Bordeaux Métropole"]
        assert str(info.Producer) == meta["pdf:Producer"]
        assert str(info.Creator) == meta["xmp:CreatorTool"] == "coopflow"
        assert str(info.Subject) == meta["dc:description"]
        created = str(info.CreationDate)
        assert re.fullmatch(r"D:\d{14}Z", created)
        assert meta["xmp:CreateDate"] == (
            f"{created[2:6]}-{created[6:8]}-{created[8:10]}T"
            f"{created[10:12]}:{created[12:14]}:{created[14:16]}Z"
        )
        assert str(info.ModDate) == created
        assert not pdf.is_encrypted


def test_file_identifier_derives_from_the_snapshot_and_templates(
    rendered: tuple[str, RenderedDocument],
) -> None:
    name, document = rendered
    payload = (
        snapshot_json(SNAPSHOTS[name]())
        + document.template_sha256.encode()
        + samples.MOMENT.isoformat().encode()
    )
    with open_pdf(document.pdf) as pdf:
        first, second = (bytes(part) for part in pdf.trailer.ID)
        assert first == hashlib.sha256(payload).hexdigest()[:32].encode()
        assert len(second) == 32


def test_dates_are_the_moment_of_production(all_docs: dict[str, RenderedDocument]) -> None:
    """A document carries the moment it was produced, never a date of its data: the draft
    the councils deliberated on in March cannot say it was created on the signature date."""
    for name, document in all_docs.items():
        with open_pdf(document.pdf) as pdf:
            assert str(pdf.docinfo.CreationDate) == "D:20270503093015Z", name
            assert str(pdf.docinfo.ModDate) == "D:20270503093015Z", name
            xmp = pdf.open_metadata()
            assert xmp["xmp:CreateDate"].startswith("2027-05-03T09:30:15"), name
            (attached,) = pdf.attachments.values()
            produced = attached.get_file()
            assert produced.creation_date == produced.mod_date == samples.MOMENT, name


def test_another_moment_gives_other_dates_and_the_same_moment_the_same_bytes(
    renderer: Renderer, protocol_doc: RenderedDocument
) -> None:
    later = samples.MOMENT + dt.timedelta(days=40, hours=2)
    other = renderer.render(samples.protocol(), produced_at=later)
    assert other.pdf != protocol_doc.pdf
    with open_pdf(other.pdf) as pdf:
        assert str(pdf.docinfo.CreationDate) == "D:20270612113015Z"
    assert renderer.render(samples.protocol(), produced_at=later).pdf == other.pdf
    # Microseconds are not recorded: the moment, to the second, is what the PDF says.
    blurred = later.replace(microsecond=654_321)
    assert renderer.render(samples.protocol(), produced_at=blurred).pdf == other.pdf


def test_a_moment_without_a_timezone_is_refused(renderer: Renderer) -> None:
    with pytest.raises(ValidationError, match="produced_at"):
        renderer.render(samples.protocol(), produced_at=dt.datetime(2027, 5, 3, 9, 30))


def test_output_intent(rendered: tuple[str, RenderedDocument]) -> None:
    _, document = rendered
    with open_pdf(document.pdf) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1"
        assert "sRGB" in str(intent.OutputConditionIdentifier)
        profile = intent.DestOutputProfile
        assert profile.N == 3
        assert profile.read_bytes()[36:40] == b"acsp"  # an ICC profile


def test_every_font_is_embedded_with_a_unicode_map(rendered: tuple[str, RenderedDocument]) -> None:
    _, document = rendered
    with open_pdf(document.pdf) as pdf:
        fonts = list(page_fonts(pdf))
        assert len({number for number, _, _ in fonts}) == len(pdf.pages)
        for number, name, font in fonts:
            embedded = descriptor(font)
            assert "/FontFile2" in embedded or "/FontFile3" in embedded, (number, name)
            assert "/ToUnicode" in font, (number, name)
            # Only the package's fonts, never a host font.
            assert re.fullmatch(
                r"/[A-Z]{6}\+Coopflow-(Serif|Sans)(-Bold)?(-Italic)?", str(font.BaseFont)
            ), font.BaseFont


def test_tagged_structure_of_standard_types_in_french(
    rendered: tuple[str, RenderedDocument],
) -> None:
    _, document = rendered
    with open_pdf(document.pdf) as pdf:
        root = pdf.Root
        assert bool(root.MarkInfo.Marked)
        assert str(root.Lang) == "fr"
        assert root.StructTreeRoot.Type == "/StructTreeRoot"
        types = structure_types(pdf)
        assert {"/Document", "/H1", "/H2", "/P"} <= types
        assert types <= STANDARD_TYPES
        assert bool(root.ViewerPreferences.DisplayDocTitle)


def test_the_snapshot_travels_inside_as_an_associated_file(
    rendered: tuple[str, RenderedDocument],
) -> None:
    name, document = rendered
    expected = snapshot_json(SNAPSHOTS[name]())
    with open_pdf(document.pdf) as pdf:
        (spec,) = pdf.Root.AF  # listed once
        assert spec.Type == "/Filespec"
        assert str(spec.F) == str(spec.UF) == "snapshot.json"
        assert spec.AFRelationship == "/Data"
        assert str(spec.Desc)
        stream = spec.EF.F
        assert stream.Subtype == "/application/json"
        assert "/ModDate" in stream.Params
        assert stream.read_bytes() == expected
        names = pdf.Root.Names.EmbeddedFiles.Names
        assert [str(names[0])] == ["snapshot.json"]
        attachments = pdf.attachments
        assert list(attachments) == ["snapshot.json"]
        assert attachments["snapshot.json"].get_file().read_bytes() == expected


def test_extract_snapshot_round_trips(rendered: tuple[str, RenderedDocument]) -> None:
    name, document = rendered
    assert extract_snapshot(document.pdf) == SNAPSHOTS[name]()
    assert snapshot_json(extract_snapshot(document.pdf)) == snapshot_json(SNAPSHOTS[name]())


def test_extract_snapshot_refuses_a_pdf_without_one() -> None:
    plain = pikepdf.new()
    plain.add_blank_page()
    buffer = io.BytesIO()
    plain.save(buffer)
    with pytest.raises(DocumentError, match=r"no snapshot\.json"):
        extract_snapshot(buffer.getvalue())


@pytest.mark.parametrize("data", [b"", b"not a pdf at all", b"%PDF-1.7\n%broken"])
def test_extract_snapshot_refuses_what_is_not_a_pdf(data: bytes) -> None:
    with pytest.raises(DocumentError):
        extract_snapshot(data)


def test_snapshot_json_is_canonical() -> None:
    snapshot = samples.protocol()
    data = snapshot_json(snapshot)
    assert data == snapshot_json(dict(reversed(list(snapshot.items()))))
    text = data.decode()
    assert "Communauté d'agglomération du Libournais" in text  # UTF-8, not \\u-escaped
    assert text.startswith('{"amendments":[{"changes":[')  # sorted keys, no spaces
    assert (
        data
        == json.dumps(
            json.loads(data), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()
    )


def test_same_snapshot_same_bytes_in_one_process(
    renderer: Renderer, protocol_doc: RenderedDocument
) -> None:
    again = renderer.render(samples.protocol(), produced_at=samples.MOMENT)
    assert again.pdf == protocol_doc.pdf
    assert Renderer().render(samples.protocol(), produced_at=samples.MOMENT).pdf == protocol_doc.pdf


def test_the_template_hash_names_the_template_version(
    renderer: Renderer, all_docs: dict[str, RenderedDocument]
) -> None:
    assert all_docs["protocole"].template_sha256 == all_docs["projet"].template_sha256
    assert len({document.template_sha256 for document in all_docs.values()}) == 3
    for kind in ("protocole", "avenant", "programme"):
        assert renderer.template_sha256(kind) == all_docs[kind].template_sha256
    assert Renderer().template_sha256("avenant") == all_docs["avenant"].template_sha256
    with pytest.raises(ValidationError, match="unknown document kind 'convention'"):
        renderer.template_sha256("convention")


# Renders three samples in the order given on the command line, prints their hashes in a
# fixed order: a renderer's history must not change what it produces.
_RENDER_IN_A_NEW_PROCESS = textwrap.dedent(
    """
    import hashlib, sys
    from coopflow.documents import Renderer
    from tests.documents import samples
    renderer = Renderer()
    makers = {"protocole": samples.protocol, "projet": samples.draft_protocol,
              "programme": samples.programme}
    def digest(name):
        document = renderer.render(makers[name](), produced_at=samples.MOMENT)
        return hashlib.sha256(document.pdf).hexdigest()
    hashes = {name: digest(name) for name in sys.argv[1:]}
    print(*(hashes[name] for name in sorted(makers)))
    """
)


@pytest.mark.slow
def test_byte_identical_across_processes(all_docs: dict[str, RenderedDocument]) -> None:
    root = Path(__file__).resolve().parents[2]
    names = ["programme", "projet", "protocole"]
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _RENDER_IN_A_NEW_PROCESS, *order],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        )
        for seed, order in (("1", names), ("2", names[::-1]))
    ]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        outputs.append(out.split())
    here = [all_docs[name].sha256 for name in names]
    assert outputs[0] == outputs[1] == here
