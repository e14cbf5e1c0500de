"""Deploying definitions: lint, then one new version per changed executable process."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pathways.engine import lint_camunda
from pathways.engine.definitions import DocumentIndex, SourceFile, bundles
from pathways.engine.errors import Conflict, InvalidDefinition, NotAllowed
from pathways.engine.lint import lint
from pathways.engine.problems import Problem
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import DefinitionBlob, PathwayVersion, User


@dataclass
class DeployReport:
    created: list[tuple[str, int]] = field(default_factory=list)  # (key, version)
    unchanged: list[tuple[str, int]] = field(default_factory=list)


def deploy(store: Store, files: Iterable[SourceFile], roles: RoleVocabulary, *, deployed_by: str | None = None,
           may_deploy: Callable[[str], bool] | None = None) -> DeployReport:
    """Deploy every executable process in `files`; nothing is written if any file has an error.

    `deployed_by` is kept on each new version. `may_deploy(key)` is asked, in the deploying
    transaction, for each pathway that would get a new version: NotAllowed (with `pathways`, the
    refused keys) and nothing written if it says no to any.
    """
    files = list(files)
    errors = [p for p in lint(files, roles) if p.severity == "error"]
    if errors:
        raise InvalidDefinition(f"{len(errors)} problem(s); nothing was deployed",
                                problems=[str(p) for p in errors])
    report = DeployReport()
    index = DocumentIndex.build(files)
    with store.unit_of_work() as uow:
        s = uow.session
        unknown = unknown_assignees(s, index)
        if unknown:
            raise InvalidDefinition(f"{len(unknown)} problem(s); nothing was deployed",
                                    problems=[str(p) for p in unknown])
        for bundle in bundles(index):
            latest = s.scalars(select(PathwayVersion).where(PathwayVersion.key == bundle.key)
                               .order_by(PathwayVersion.version.desc()).limit(1)).first()
            if latest is not None and latest.bundle_hash == bundle.bundle_hash:
                report.unchanged.append((bundle.key, latest.version))
                continue
            for source in bundle.files:
                if s.get(DefinitionBlob, source.hash) is None:
                    s.add(DefinitionBlob(hash=source.hash, filename=source.filename,
                                         content=source.content.decode("utf-8")))
            number = (latest.version if latest else 0) + 1
            s.add(PathwayVersion(key=bundle.key, version=number, name=bundle.name, deployed_by=deployed_by,
                                 bundle_hash=bundle.bundle_hash, files=[f.hash for f in bundle.files],
                                 dmn_language="feel"))
            report.created.append((bundle.key, number))
        refused = sorted(key for key, _ in report.created if may_deploy is not None and not may_deploy(key))
        if refused:
            raise NotAllowed(f"you may not deploy {', '.join(refused)}", pathways=refused)
        try:
            uow.commit()
        except IntegrityError:
            raise Conflict("another deployment of the same pathway ran at the same time; try again") from None
    return report


def unknown_assignees(s: Session, index: DocumentIndex) -> list[Problem]:
    """A literal `camunda:assignee` must name a user of this installation. Lint cannot know (it sees no
    database), so deploy asks, in its own transaction; a user removed later is handled when the task
    opens (`engine.preassign`)."""
    named = lint_camunda.named_assignees(index)
    if not named:
        return []
    wanted = sorted({n.username for n in named})
    existing: set[str] = set()
    for start in range(0, len(wanted), 500):  # (a database takes only so many parameters in one statement)
        existing.update(s.scalars(select(User.username).where(User.username.in_(wanted[start:start + 500]))))
    return [lint_camunda.unknown_user(n) for n in named if n.username not in existing]
