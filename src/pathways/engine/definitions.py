"""Definitions: BPMN/DMN files gathered, indexed, grouped per executable process, and built.

A pathway version is keyed by the hash of the files its process needs (its own file, the files
of the processes it calls and of the decisions it uses). Deploying the same bytes again finds
the same hash and creates nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pathways.base.xml import XmlProblem, parse_xml
from pathways.engine import data_objects, event_scopes, implicit, links
from pathways.engine.budget import bound_multi_instance
from pathways.engine.deciding import DMN_SUFFIXES
from pathways.engine.errors import InvalidDefinition
from pathways.engine.parser import BPMN_NS, CAMUNDA_NS, PathwaysParser, document_kind

SUFFIXES = (".bpmn", ".bpmn20.xml", *DMN_SUFFIXES)


@dataclass(frozen=True)
class SourceFile:
    filename: str
    content: bytes

    @cached_property
    def hash(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def collect(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Every BPMN/DMN file under the given files and folders, sorted, each read once."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name.lower().endswith(SUFFIXES):
                    found[child] = None
        elif path.is_file():
            found[path] = None
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return [SourceFile(str(p), p.read_bytes()) for p in found]


@dataclass
class Document:
    source: SourceFile
    root: Any
    kind: str  # bpmn | dmn


@dataclass
class DocumentIndex:
    """Parsed documents and where each process and decision is declared."""

    documents: list[Document] = field(default_factory=list)
    unreadable: dict[str, XmlProblem] = field(default_factory=dict)
    processes: dict[str, Document] = field(default_factory=dict)
    process_elements: dict[str, Any] = field(default_factory=dict)
    decisions: dict[str, Document] = field(default_factory=dict)

    @classmethod
    def build(cls, files: Iterable[SourceFile]) -> DocumentIndex:
        index = cls()
        for source in files:
            try:
                root = parse_xml(source.content)
            except XmlProblem as problem:
                index.unreadable[source.filename] = problem
                continue
            kind = document_kind(root)
            if kind is None:
                index.unreadable[source.filename] = XmlProblem(
                    f"not a BPMN 2.0 or DMN document (root element {root.tag})", 1
                )
                continue
            doc = Document(source, root, kind)
            index.documents.append(doc)
            if kind == "bpmn":
                for process in root.iter(f"{{{BPMN_NS}}}process"):
                    if process.get("id", "") not in index.processes:
                        index.processes[process.get("id", "")] = doc
                        index.process_elements[process.get("id", "")] = process
            else:
                for decision in root.iter():
                    if etree_localname(decision.tag) == "decision" and decision.get("id"):
                        index.decisions.setdefault(decision.get("id"), doc)
        return index

    def dependencies(self, process_id: str) -> list[Document]:
        """The process's own document first, then every document it needs, transitively."""
        ordered: list[Document] = []
        pending = [process_id]
        seen_processes: set[str] = set()
        while pending:
            pid = pending.pop()
            if pid in seen_processes or pid not in self.processes:
                continue
            seen_processes.add(pid)
            doc = self.processes[pid]
            if doc not in ordered:
                ordered.append(doc)
            process = self.process_elements[pid]
            for call in process.iter(f"{{{BPMN_NS}}}callActivity"):
                pending.append(call.get("calledElement", ""))
            for rule in process.iter(f"{{{BPMN_NS}}}businessRuleTask"):
                decision_doc = self.decisions.get(rule.get(f"{{{CAMUNDA_NS}}}decisionRef", ""))
                if decision_doc is not None and decision_doc not in ordered:
                    ordered.append(decision_doc)
        return ordered

    def executable_processes(self) -> list[tuple[str, str, Document]]:
        """(id, name, document) of every process marked isExecutable (or not marked at all)."""
        result = []
        for pid, doc in self.processes.items():
            process = self.process_elements[pid]
            if process.get("isExecutable", "true").lower() == "true":
                result.append((pid, process.get("name") or pid, doc))
        return result


def etree_localname(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


@dataclass(frozen=True)
class ProcessBundle:
    """One executable process and the files it needs: the unit a version is made of."""

    key: str
    name: str
    files: tuple[SourceFile, ...]

    @property
    def bundle_hash(self) -> str:
        digest = hashlib.sha256(self.key.encode())
        for source in self.files:
            digest.update(source.hash.encode())
        return digest.hexdigest()


def bundles(index: DocumentIndex) -> list[ProcessBundle]:
    return [
        ProcessBundle(key, name, tuple(d.source for d in index.dependencies(key)))
        for key, name, _doc in index.executable_processes()
    ]


def build_spec(files: Iterable[SourceFile], key: str, dmn_language: str = "feel") -> tuple[Any, dict[str, Any]]:
    """Parse `files` and return SpiffWorkflow's (spec, subprocess_specs) for process `key`.

    `dmn_language` is the expression language of DMN files that declare none: FEEL, or Python for
    versions deployed before FEEL became the default (`engine.deciding`).
    """
    parser = PathwaysParser(dmn_language)
    try:
        for source in files:
            # what SpiffWorkflow cannot read as drawn
            root = data_objects.resolve(implicit.resolve(links.resolve(parse_xml(source.content))))
            parser.add_document(root, source.filename, source.hash[:12])
        spec, subprocess_specs = parser.get_spec(key), parser.get_subprocess_specs(key)
    except XmlProblem as problem:
        raise InvalidDefinition(f"{source.filename}: {problem}") from None
    except Exception as exc:  # SpiffWorkflow raises many kinds (KeyError, IndexError...): all mean "cannot build"
        detail = str(exc).split("\\n")[0][:300] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, KeyError):
            detail = f"missing attribute or reference {exc}"
        elif detail.rstrip(". ").endswith("of type") and (tag := getattr(exc, "tag", None)):  # the type is left out
            detail = f"{detail.rstrip('. ')} {tag}"
        raise InvalidDefinition(f"process {key!r} cannot be built: {detail}") from exc
    bound_multi_instance(spec, *subprocess_specs.values())
    event_scopes.prepare(spec, subprocess_specs)
    return spec, subprocess_specs
