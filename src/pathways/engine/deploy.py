"""Deploying definitions: lint, then one new version per changed executable process."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pathways.engine.definitions import DocumentIndex, SourceFile, bundles
from pathways.engine.errors import Conflict, InvalidDefinition
from pathways.engine.lint import lint
from pathways.engine.roles import RoleVocabulary
from pathways.store.db import Store
from pathways.store.models import DefinitionBlob, PathwayVersion


@dataclass
class DeployReport:
    created: list[tuple[str, int]] = field(default_factory=list)  # (key, version)
    unchanged: list[tuple[str, int]] = field(default_factory=list)


def deploy(store: Store, files: Iterable[SourceFile], roles: RoleVocabulary) -> DeployReport:
    """Deploy every executable process in `files`; nothing is written if any file has an error."""
    files = list(files)
    errors = [p for p in lint(files, roles) if p.severity == "error"]
    if errors:
        raise InvalidDefinition(f"{len(errors)} problem(s); nothing was deployed",
                                problems=[str(p) for p in errors])
    report = DeployReport()
    with store.unit_of_work() as uow:
        s = uow.session
        for bundle in bundles(DocumentIndex.build(files)):
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
            s.add(PathwayVersion(key=bundle.key, version=number, name=bundle.name,
                                 bundle_hash=bundle.bundle_hash, files=[f.hash for f in bundle.files]))
            report.created.append((bundle.key, number))
        try:
            uow.commit()
        except IntegrityError:
            raise Conflict("another deployment of the same pathway ran at the same time; try again") from None
    return report
