"""A host's typed use of coopflow: checked by mypy --strict in tests/host/test_host.py."""

from __future__ import annotations

from collections.abc import Iterable

import coopflow
from coopflow import Actor, Coopflow, FireContext, FireResult
from coopflow.workflows import registry
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session


def crm_has_contact(ctx: FireContext) -> Iterable[str]:
    if not ctx.partnership.title:
        yield "the partnership has no title"


def run(url: str) -> list[str]:
    engine = coopflow.configure_sqlite(create_engine(url))
    coopflow.migrate(engine)
    admin = Actor("admin", "admin")
    with Coopflow(engine) as registrar:  # who may act: the first admin registers the others
        registrar.register_first_admin(admin.id, "Administration")
        registrar.add_actor("marie.dupont", "Marie Dupont", roles=["staff"], actor=admin)
    mine = registry.child()
    mine.guard("crm_has_contact")(crm_has_contact)
    fired: list[str] = []
    with Session(engine) as session:
        cf = Coopflow(session, registry=mine)

        @cf.on_fired
        def remember(result: FireResult) -> None:
            fired.append(f"{result.reference}: {result.event}")

        staff = Actor("marie.dupont", "staff")
        cf.add_party(
            "bordeaux-metropole",
            "Bordeaux Métropole",
            nature="METRO",
            deliberative_body="conseil métropolitain",
            executive_title="Président",
            actor=staff,
        )
        cf.add_party(
            "ville-de-saintes",
            "Ville de Saintes",
            nature="COMMUNE",
            deliberative_body="conseil municipal",
            executive_title="Maire",
            actor=staff,
        )
        info = cf.create_partnership(
            "Coopération Bordeaux – Saintes",
            scale="espace_regional",
            parties=["bordeaux-metropole", "ville-de-saintes"],
            home="bordeaux-metropole",
            responsible=staff.id,
            actor=staff,
        )
        cf.fire(info.reference, "suspendre", staff, data={"motif": "élections municipales"})
        session.commit()
        states = session.scalars(select(coopflow.models.Partnership.state)).all()
    engine.dispose()
    return [*fired, *states]
