"""A host's own template folder, through Coopflow(templates_dir=...), on a database.

The host's protocol template is used by every path that produces the protocol (the legal review's
effect, ``render``), its hash is stored with the document and the journal names the document; a
template that tries to leave Jinja2's sandbox is refused and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import coopflow
import pytest
from coopflow import Coopflow
from sqlalchemy import Engine

from tests import scenario
from tests.documents.pdfcheck import page_texts

HERE = Path(__file__).resolve().parent
MARKER = "Modèle de la direction des affaires juridiques de la métropole."


def test_the_hosts_protocol_template_is_rendered_stored_and_journaled(
    host_engine: Engine,
) -> None:
    coopflow.migrate(host_engine)
    with Coopflow(host_engine) as builtin:
        scenario.register_people(builtin)
        reference_ref = scenario.in_legal_review(builtin)
        builtin_doc = builtin.documents_of(reference_ref)[-1]
    with Coopflow(host_engine, templates_dir=HERE / "templates") as cf:
        ref = scenario.in_legal_review(cf, partner="ville-de-saintes")
        [doc] = cf.documents_of(ref)
        text = " ".join(page_texts(cf.document_bytes(doc.sha256)))
        assert "Convention de coopération 2027-2029" in text
        assert MARKER in text
        assert "Ville de Saintes" in text
        assert (doc.kind, doc.status, doc.template_name) == (
            "protocole",
            "draft",
            "protocole.html.j2",
        )
        assert doc.template_sha256 != builtin_doc.template_sha256
        # unchanged data: the same stored version comes back, nothing new is journaled
        records = len(cf.history(ref))
        again = cf.render(ref, actor=scenario.STAFF)
        assert (again.version, again.sha256) == (doc.version, doc.sha256)
        assert len(cf.history(ref)) == records
        # the legal department approves exactly this document
        cf.fire(ref, "approuver", scenario.LEGAL, data={"document_sha256": doc.sha256})
        assert cf.history(ref)[-1].document_sha256 == doc.sha256
        assert cf.verify().ok
    assert MARKER not in " ".join(page_texts(builtin.document_bytes(builtin_doc.sha256)))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ doc.__class__.__mro__ }}", "SecurityError"),
        ("{{ cycler.__init__.__globals__ }}", "SecurityError"),
        ("{{ doc.no_such_field }}", "UndefinedError"),
    ],
)
def test_a_hostile_or_broken_host_template_stores_nothing(
    host_engine: Engine, tmp_path: Path, body: str, message: str
) -> None:
    coopflow.migrate(host_engine)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "protocole.html.j2").write_text(
        '{% extends "_base.html.j2" %}{% block body %}' + body + "{% endblock %}",
        encoding="utf-8",
    )
    with Coopflow(host_engine, templates_dir=folder) as cf:
        scenario.register_people(cf)
        ref = scenario.in_drafting(cf)
        records = len(cf.history(ref))
        with pytest.raises(coopflow.TemplateError, match=message) as refused:
            cf.fire(ref, "soumettre_revue_juridique", scenario.STAFF)
        assert refused.value.template == "protocole.html.j2"
        assert cf.partnership(ref).state == "contractualisation.redaction"
        assert cf.documents_of(ref) == []
        assert len(cf.history(ref)) == records
