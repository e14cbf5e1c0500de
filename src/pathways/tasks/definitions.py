"""Deployed pathway definitions as people need them: the list, one version's structure, uploads.

A version's structure is read from its built specs: stages (the `stage` properties, in the order
the parser met them), lanes with the role each names and that role's agency kind, and the user
tasks with their roles, stage, due date and form. An upload is linted together with the deployed
files it needs (a process it calls, a decision it uses), then deployed; a deployed process that
uses an uploaded decision or process is redeployed with it, so its next case sees the change.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import PurePath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathways.base import clock
from pathways.engine.built import task_roles
from pathways.engine.cases import Engine
from pathways.engine.definitions import DocumentIndex, SourceFile
from pathways.engine.deploy import deploy, unknown_assignees
from pathways.engine.errors import InvalidDefinition, NotAllowed, NotFound
from pathways.engine.lint import lint
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import DefinitionBlob, PathwayVersion, User
from pathways.tasks import audit
from pathways.tasks.deployers import DeployPolicy

#: who may deploy through the API and the designer page (the CLI is the server's operator)
DEPLOY_ROLES = frozenset({"designer", "admin"})


def list_definitions(store: Store) -> list[dict[str, Any]]:
    """Every deployed pathway key with its latest version, name and number of versions."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        counts = dict(s.execute(select(PathwayVersion.key, func.count()).group_by(PathwayVersion.key)).all())
        latest = _latest_versions(s)
    return [{"key": v.key, "name": v.name, "latest_version": v.version, "versions": counts[v.key],
             "deployed_at": clock.aware(v.deployed_at), "deployed_by": v.deployed_by}
            for v in sorted(latest, key=lambda v: v.key)]


def list_versions(store: Store) -> list[dict[str, Any]]:
    """Every deployed pathway with all its versions, newest first: number, name, deployed at, file names."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        versions = list(s.scalars(select(PathwayVersion).order_by(PathwayVersion.key, PathwayVersion.version.desc())))
        hashes = {h for v in versions for h in v.files}
        names = dict(s.execute(select(DefinitionBlob.hash, DefinitionBlob.filename)
                               .where(DefinitionBlob.hash.in_(hashes))).all()) if hashes else {}
    pathways: dict[str, dict[str, Any]] = {}
    for v in versions:
        entry = pathways.setdefault(v.key, {"key": v.key, "name": v.name, "latest_version": v.version,
                                            "deployed_at": clock.aware(v.deployed_at), "deployed_by": v.deployed_by,
                                            "versions": []})
        entry["versions"].append({"version": v.version, "name": v.name, "deployed_at": clock.aware(v.deployed_at),
                                  "deployed_by": v.deployed_by,
                                  "files": [PurePath(names[h]).name for h in v.files if h in names]})
    return list(pathways.values())


def definition_detail(store: Store, engine: Engine, key: str, version: int | None = None) -> dict[str, Any]:
    """A pathway's versions and the structure of one of them (the latest unless `version`)."""
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        versions = list(s.scalars(select(PathwayVersion).where(PathwayVersion.key == key)
                                  .order_by(PathwayVersion.version)))
        if not versions:
            raise NotFound(f"no deployed pathway {key!r}")
        chosen = versions[-1] if version is None else next((v for v in versions if v.version == version), None)
        if chosen is None:
            raise NotFound(f"pathway {key!r} has no version {version}")
        built = engine.definition(s, chosen.id)
        files = _file_names(s, chosen)
    structure = _structure([built.spec, *built.subprocess_specs.values()], engine.roles)
    return {
        "key": key, "name": chosen.name, "version": chosen.version, "deployed_at": clock.aware(chosen.deployed_at),
        "deployed_by": chosen.deployed_by, "files": files,
        "versions": [{"version": v.version, "name": v.name, "deployed_at": clock.aware(v.deployed_at),
                      "deployed_by": v.deployed_by} for v in versions],
        **structure,
    }


def diagram_source(store: Store, key: str, version: int | None = None) -> bytes:
    """The BPMN file (bytes) that declares process `key` in the chosen version."""
    with store.unit_of_work(write=False) as uow:
        chosen = chosen_version(uow.session, key, version)
        blob = uow.session.get(DefinitionBlob, chosen.files[0])
        assert blob is not None
        return blob.content.encode("utf-8")


def upload(store: Store, roles: RoleVocabulary, user: User, files: list[SourceFile],
           policy: DeployPolicy | None = None) -> dict[str, Any]:
    """Lint the uploaded files with the deployed files they touch, then deploy them as `user`.

    Raises InvalidDefinition with `problems` (dicts: file, line, element, message, hint) and
    deploys nothing when any problem is an error. Needs the designer or admin role, and for each
    pathway that would get a new version, the user's agency allowed by `policy`
    (`workflows/deployers.toml`): NotAllowed otherwise, audited, nothing deployed.
    """
    audit.require_role(store, user, DEPLOY_ROLES, "definition.deploy",
                       "deploying definitions needs the designer or admin role")
    if not files:
        raise InvalidDefinition("no file uploaded: send one or more multipart parts named 'file'", problems=[])
    bundle = _with_deployed(store, files)
    with store.unit_of_work(write=False) as uow:  # lint sees no database: who a file names is checked here
        unknown = unknown_assignees(uow.session, DocumentIndex.build(bundle))
    problems = lint(bundle, roles) + unknown
    errors = [asdict(p) for p in problems if p.severity == "error"]
    if errors:
        raise InvalidDefinition(f"{len(errors)} problem(s); nothing was deployed", problems=errors)
    agency = user.agency.code
    try:
        report = deploy(store, bundle, roles, deployed_by=user.username,
                        may_deploy=(lambda key: policy.allows(agency, key)) if policy is not None else None)
    except NotAllowed as refused:
        audit.refused(store, user, "definition.deploy", refused,
                      detail={"pathways": refused.details.get("pathways"), "agency": agency})
        raise
    _keep(store, files)
    result = {
        "created": [{"key": k, "version": v} for k, v in report.created],
        "unchanged": [{"key": k, "version": v} for k, v in report.unchanged],
        "warnings": [asdict(p) for p in problems if p.severity != "error"],
    }
    with store.unit_of_work() as uow:
        audit.record(uow.session, user, "definition.deploy",
                     detail={"files": [f.filename for f in files], "created": result["created"]})
        uow.commit()
    return result


# -- internals ------------------------------------------------------------------------------------

def _keep(store: Store, files: list[SourceFile]) -> None:
    """Store uploaded files no version uses yet (a DMN uploaded before its process), for later uploads."""
    with store.unit_of_work() as uow:
        s = uow.session
        known = set(s.scalars(select(DefinitionBlob.hash).where(DefinitionBlob.hash.in_([f.hash for f in files]))))
        for source in files:
            if source.hash not in known:
                s.add(DefinitionBlob(hash=source.hash, filename=source.filename,
                                     content=source.content.decode("utf-8")))
                known.add(source.hash)
        uow.commit()


def chosen_version(s: Session, key: str, version: int | None = None) -> PathwayVersion:
    """Version `version` of pathway `key`, or its latest; NotFound if there is none."""
    query = select(PathwayVersion).where(PathwayVersion.key == key)
    if version is not None:
        query = query.where(PathwayVersion.version == version)
    chosen = s.scalars(query.order_by(PathwayVersion.version.desc()).limit(1)).first()
    if chosen is None:
        raise NotFound(f"no deployed pathway {key!r}" + (f" version {version}" if version else ""))
    return chosen


def _latest_versions(s: Session) -> list[PathwayVersion]:
    newest = (select(PathwayVersion.key, func.max(PathwayVersion.version).label("version"))
              .group_by(PathwayVersion.key).subquery())
    return list(s.scalars(select(PathwayVersion).join(
        newest, (PathwayVersion.key == newest.c.key) & (PathwayVersion.version == newest.c.version))))


def _file_names(s: Session, version: PathwayVersion) -> list[str]:
    names = dict(s.execute(select(DefinitionBlob.hash, DefinitionBlob.filename)
                           .where(DefinitionBlob.hash.in_(version.files))).all())
    return [PurePath(names[h]).name for h in version.files if h in names]


def _declared(index: DocumentIndex) -> dict[str, set[str]]:
    """file name -> ids of the processes and decisions it declares."""
    found: dict[str, set[str]] = {}
    for pid, doc in index.processes.items():
        found.setdefault(doc.source.filename, set()).add(pid)
    for did, doc in index.decisions.items():
        found.setdefault(doc.source.filename, set()).add(did)
    return found


def _with_deployed(store: Store, files: list[SourceFile]) -> list[SourceFile]:
    """The uploaded files plus the deployed files linked to them (callee or caller)."""
    uploaded_index = DocumentIndex.build(files)
    uploaded_ids = set().union(*_declared(uploaded_index).values()) if files else set()
    uploaded_names = {PurePath(f.filename).name for f in files}
    with store.unit_of_work(write=False) as uow:
        s = uow.session
        hashes = {h for v in _latest_versions(s) for h in v.files}
        current = {PurePath(b.filename).name: b
                   for b in s.scalars(select(DefinitionBlob).where(DefinitionBlob.hash.in_(hashes)))}
        for blob in s.scalars(select(DefinitionBlob).order_by(DefinitionBlob.stored_at.desc())):
            current.setdefault(PurePath(blob.filename).name, blob)  # e.g. a DMN uploaded on its own
    deployed = [SourceFile(name, b.content.encode("utf-8")) for name, b in current.items()
                if name not in uploaded_names]
    deployed_index = DocumentIndex.build(deployed)
    # a deployed file declaring what an upload redeclares is replaced by the upload
    candidates = [f for f in deployed if not (_declared(deployed_index).get(f.filename, set()) & uploaded_ids)]
    index = DocumentIndex.build([*files, *candidates])
    chosen: dict[str, SourceFile] = {f.filename: f for f in files}
    uploaded_docs = {d.source.filename for d in index.documents if d.source.filename in chosen}
    for pid, _name, doc in index.executable_processes():
        needed = index.dependencies(pid)
        names = {d.source.filename for d in needed}
        if doc.source.filename in uploaded_docs or names & uploaded_docs:
            for dep in needed:
                chosen.setdefault(dep.source.filename, dep.source)
    return list(chosen.values())


def _structure(specs: list[Any], roles: RoleVocabulary) -> dict[str, Any]:
    stages: list[str] = []
    lanes: dict[str, dict[str, Any]] = {}
    tasks: list[dict[str, Any]] = []
    for process in specs:
        stage = None  # a task without its own stage is shown in the stage met before it
        for spec in process.task_specs.values():
            own = (getattr(spec, "extensions", None) or {}).get("stage")
            stage = own or stage
            if own and own not in stages:
                stages.append(own)
            lane = getattr(spec, "lane", None)
            if lane and lane not in lanes:
                role = roles.resolve_lane(lane)
                lanes[lane] = {"name": lane, "roles": [role] if role else [],
                               "agency_kinds": [roles.agency_kind(role)] if role else []}
            if hasattr(spec, "assignment") or hasattr(spec, "form"):
                tasks.append(_task(spec, roles, stage))
    return {"stages": stages, "lanes": list(lanes.values()), "user_tasks": tasks}


def _task(spec: Any, roles: RoleVocabulary, stage: str | None) -> dict[str, Any]:
    task_role_keys = task_roles(spec, roles)
    assignment = getattr(spec, "assignment", None)
    form = getattr(spec, "form", None)
    return {
        "id": spec.bpmn_id,
        "name": spec.bpmn_name or spec.bpmn_id,
        "lane": getattr(spec, "lane", None),
        "roles": list(task_role_keys),
        "agency_kinds": sorted({k for r in task_role_keys if (k := roles.agency_kind(r))}),
        "stage": stage,
        "due_date": assignment.due_date if assignment else None,
        "priority": assignment.priority if assignment else 50,
        "form": [_field(f) for f in (getattr(form, "fields", None) or [])],
    }


def _field(field: Any) -> dict[str, Any]:
    return {
        "id": field.id,
        "label": field.label or field.id,
        "type": field.type,
        "default": field.default_value if field.default_value not in (None, "") else None,
        "constraints": {v.name: v.config for v in field.validation},
        "properties": {p.id: p.value for p in field.properties},
        "options": [{"id": o.id, "name": o.name} for o in getattr(field, "options", [])],
    }
