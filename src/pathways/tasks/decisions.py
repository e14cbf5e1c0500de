"""Trying a deployed decision: what it gives for given inputs, and which rules decided.

Designers and admins try a decision of a deployed pathway version before a case meets it (the
API's `POST /api/v1/decisions/<key>/evaluate`, the designer page); `pathways decide` does the same
from the command line, also on files not yet deployed. All of them evaluate through
`engine.deciding.DecisionFiles.trial`, as a business rule task does: one way to evaluate a
decision. The inputs are the trier's own, not case data, so nothing is audited but a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from pathways.decisions import feel
from pathways.engine.deciding import LEGACY_LANGUAGE, DecisionFiles, Trial, decision_of, read_files
from pathways.engine.definitions import SourceFile
from pathways.store.db import Store
from pathways.store.models import DefinitionBlob, User
from pathways.tasks import audit
from pathways.tasks.bounds import MAX_KEY, check_json, check_texts
from pathways.tasks.definitions import chosen_version

#: who may try decisions: the people who write and deploy them
TRY_ROLES = frozenset({"designer", "admin"})


def version_decisions(store: Store, key: str, version: int | None = None) -> tuple[int, DecisionFiles]:
    """The version number and the FEEL DMN files of pathway `key` (its latest version unless `version`)."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        chosen = chosen_version(s, key, version)
        blobs = {b.hash: b for b in s.scalars(select(DefinitionBlob).where(DefinitionBlob.hash.in_(chosen.files)))}
        files = [SourceFile(blobs[h].filename, blobs[h].content.encode()) for h in chosen.files if h in blobs]
        number, language = chosen.version, chosen.dmn_language or LEGACY_LANGUAGE
    return number, read_files(files, language)


def try_decision(store: Store, user: User, key: str, decision: str, inputs: Mapping[str, Any],
                 version: int | None = None) -> tuple[int, Trial]:
    """Evaluate `decision` of pathway `key` on `inputs`; needs the designer or admin role."""
    audit.require_role(store, user, TRY_ROLES, "decisions.evaluate",
                       "trying decisions needs the designer or admin role")
    check_texts({"key": key[:MAX_KEY + 1], "decision": decision[:MAX_KEY + 1]})
    check_json("input", dict(inputs))
    number, found = version_decisions(store, key, version)
    return number, found.trial(decision, inputs)


def decision_list(store: Store, key: str, version: int | None = None) -> list[dict[str, str]]:
    """The FEEL decisions of a pathway version: id, name and file, for the designer page."""
    _number, found = version_decisions(store, key, version)
    listed = []
    for decision_id in found.decision_ids():
        model, filename, _file_version = found.find(decision_id)
        listed.append({"id": decision_id, "name": model.decisions[decision_id].name, "file": filename})
    return listed


def decision_sheet(store: Store, user: User, key: str, decision: str, version: int | None = None) -> dict[str, Any]:
    """A decision as the designer page shows it: its table (or expression) and the inputs it reads."""
    audit.require_role(store, user, TRY_ROLES, "decisions.read", "trying decisions needs the designer or admin role")
    number, found = version_decisions(store, key, version)
    model, filename, file_version = found.find(decision)
    element = decision_of(model, decision)
    table = element.table
    sheet: dict[str, Any] = {"key": key, "version": number, "id": element.id, "name": element.name,
                             "file": filename, "file_version": file_version, "inputs": input_names(model, element),
                             "table": None, "expression": None}
    if table is not None:
        sheet["table"] = {
            "hit_policy": table.hit_policy + (f" {table.aggregation}" if table.aggregation else ""),
            "inputs": [i.label or i.expression.text for i in table.inputs],
            "outputs": [o.label or o.name for o in table.outputs],
            "rules": [{"number": r.number, "id": r.id, "inputs": [c.text or "-" for c in r.inputs],
                       "outputs": [c.text for c in r.outputs]} for r in table.rules],
        }
    else:
        sheet["expression"] = getattr(element.expression, "text", None)
    return sheet


def input_names(model: Any, decision: Any) -> list[str]:
    """The names a decision reads from outside: the input data it requires (through the decisions it
    requires, too) and, for cells that read case variables directly (as Camunda allows), their free names."""
    names: dict[str, None] = {}
    inner = {d.name for d in model.decisions.values()} | {b.name for b in model.bkms.values()}
    pending, seen = [decision], set()
    while pending:
        current = pending.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        for ref in current.information:
            if ref.namespace:
                continue
            if ref.id in model.input_data:
                names.setdefault(model.input_data[ref.id].name)
            elif ref.id in model.decisions:
                pending.append(model.decisions[ref.id])
        for text in _texts(current):
            for name in sorted(_free_names(text, model.names)):
                if name not in inner:
                    names.setdefault(name)
    return list(names)


def _texts(decision: Any) -> list[str]:
    table = decision.table
    if table is not None:
        return [i.expression.text for i in table.inputs]
    text = getattr(decision.expression, "text", None)
    return [text] if isinstance(text, str) else []


def _free_names(text: str, names: tuple[str, ...]) -> set[str]:
    try:
        return set(feel.parse(text, names).free_names)
    except feel.FeelSyntaxError:
        return set()
