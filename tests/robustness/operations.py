"""The operations the crash tests interrupt: each prepared by the test, run by a child process
that dies in the middle of it, then run again by the test after the "restart".

Every operation is one transaction of coopflow's: a fire, a document render, a fire whose effect
renders a final document, several calls in ``Coopflow.transaction()``, a script applied by
``apply_script``, and the same script applied by the command line (``coopflow apply``)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coopflow import Coopflow, NotFoundError

from tests import scenario

SCRIPT_REFERENCE = "COOP-2027-0900"

SCRIPT = f"""
[script]
name = "robustesse"
actor = "marie.dupont"
role = "staff"

[[parties]]
key = "ville-de-saintes"
official_name = "Ville de Saintes"
nature = "COMMUNE"
deliberative_body = "conseil municipal"
executive_title = "Maire"
siren = "211704150"
seat = "Saintes"

[[partnerships]]
reference = "{SCRIPT_REFERENCE}"
title = "Coopération Bordeaux Métropole – Saintes"
scale = "espace_regional"
parties = ["bordeaux-metropole", "ville-de-saintes"]

[[partnerships.exchanges]]
date = 2026-10-01
kind = "reunion"
summary = "Première rencontre à Saintes"

[[partnerships.steps]]
event = "ouvrir_dialogue"

[[partnerships.steps]]
event = "engager_contractualisation"

[[partnerships.steps.axes]]
title = "Patrimoine culturel"
objectives = ["Valoriser le patrimoine antique"]
stakes = [{{ title = "Itinéraires patrimoniaux" }}]
commitments = [
    {{ party = "bordeaux-metropole", text = "Bordeaux Métropole partage son expertise" }},
    {{ party = "ville-de-saintes", text = "Saintes ouvre ses sites" }},
]

[[partnerships.steps.axes]]
title = "Mobilités"
objectives = ["Relier Saintes et Bordeaux"]
stakes = [{{ title = "Liaison ferroviaire" }}]
commitments = [
    {{ party = "bordeaux-metropole", text = "Étudier une offre de transport" }},
    {{ party = "ville-de-saintes", text = "Organiser le rabattement" }},
]

[[partnerships.steps]]
event = "soumettre_revue_juridique"

[partnerships.steps.protocol]
start = 2027-01-01
end = 2029-12-31
preamble = ["Les Parties partagent un patrimoine et un bassin de vie."]
copil = "Les élus des Parties, deux fois par an."
cotech = "Les services des Parties, chaque trimestre."
means = "Pas d'incidence financière propre."

[[partnerships.steps.signatories]]
party = "bordeaux-metropole"
civility = "Madame"
first_name = "Claire"
last_name = "Lefèvre"
title = "Présidente"

[[partnerships.steps.signatories]]
party = "ville-de-saintes"
civility = "Madame"
first_name = "Sophie"
last_name = "Garnier"
title = "Maire"
"""


def _suspend(cf: Coopflow, ref: str) -> None:
    cf.fire(ref, "suspendre", scenario.STAFF, data={"motif": "élections municipales"})


def _submit(cf: Coopflow, ref: str) -> None:
    cf.fire(ref, "soumettre_revue_juridique", scenario.STAFF)


def _render(cf: Coopflow, ref: str) -> None:
    cf.render(ref, actor=scenario.STAFF)


def _sign(cf: Coopflow, ref: str) -> None:
    cf.fire(
        ref,
        "signer",
        scenario.ELECTED,
        data={"date_signature": scenario.SIGNED_ON, "lieu": "Libourne"},
        today=scenario.TODAY,  # also in a child process, which the suite's fixtures do not reach
    )


def _ready_to_sign(cf: Coopflow) -> str:
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    return ref


def _transaction(cf: Coopflow, ref: str) -> None:
    """From accueil to legal review in one transaction, rendering the draft on the way."""
    with cf.transaction() as tx:
        tx.log_exchange(
            ref,
            date=dt.date(2026, 9, 15),
            kind="reunion",
            summary="Rencontre",
            actor=scenario.STAFF,
        )
        tx.fire(ref, "ouvrir_dialogue", scenario.STAFF)
        scenario.with_axes(tx, ref, ("bordeaux-metropole", "la-cali"))
        tx.fire(ref, "engager_contractualisation", scenario.STAFF)
        tx.set_protocol(
            ref,
            start=scenario.START,
            end=scenario.END,
            preamble=["Les Parties partagent un bassin de vie."],
            copil="Les élus des Parties.",
            cotech="Les services des Parties.",
            actor=scenario.STAFF,
        )
        for party in ("bordeaux-metropole", "la-cali"):
            first, last, title, civility = scenario.SIGNATORIES[party]
            tx.set_signatory(
                ref,
                party=party,
                first_name=first,
                last_name=last,
                title=title,
                civility=civility,
                actor=scenario.STAFF,
            )
        tx.fire(ref, "soumettre_revue_juridique", scenario.STAFF)


def _script(cf: Coopflow, ref: str) -> None:
    from coopflow._script import apply_script

    apply_script(cf, SCRIPT, source="robustesse.toml")


def _cli_apply(cf: Coopflow, ref: str) -> None:
    """``coopflow --db URL apply FILE``, run through the console script's own entry point."""
    from coopflow.cli import main

    url = cf.engine.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "robustesse.toml"
        path.write_text(SCRIPT, encoding="utf-8")
        try:
            main(["--db", url, "apply", str(path)])
        except SystemExit as exit:
            if exit.code not in (0, None):
                raise AssertionError(f"coopflow apply exited with {exit.code}") from None


def _script_prepare(cf: Coopflow) -> str:
    scenario.in_accueil(cf)  # something already in the database, that must survive
    return SCRIPT_REFERENCE


def _state_is(expected: str, ref: str | None = None) -> Callable[[Coopflow, str], bool]:
    def check(cf: Coopflow, given: str) -> bool:
        try:
            return cf.partnership(ref or given).state == expected
        except NotFoundError:
            return False

    return check


def _one_draft(cf: Coopflow, ref: str) -> bool:
    return [(d.kind, d.version) for d in cf.documents_of(ref)] == [("protocole", 1)]


@dataclass(frozen=True)
class Operation:
    prepare: Callable[[Coopflow], str]
    run: Callable[[Coopflow, str], None]
    done: Callable[[Coopflow, str], bool]


OPERATIONS: dict[str, Operation] = {
    "suspend": Operation(scenario.in_accueil, _suspend, _state_is("suspendu")),
    "submit": Operation(
        scenario.in_drafting, _submit, _state_is("contractualisation.revue_juridique")
    ),
    "render": Operation(scenario.in_drafting, _render, _one_draft),
    "sign": Operation(_ready_to_sign, _sign, _state_is("contractualisation.en_vigueur")),
    "transaction": Operation(
        scenario.in_accueil, _transaction, _state_is("contractualisation.revue_juridique")
    ),
    "script": Operation(_script_prepare, _script, _state_is("contractualisation.revue_juridique")),
    "cli_apply": Operation(
        _script_prepare, _cli_apply, _state_is("contractualisation.revue_juridique")
    ),
}
