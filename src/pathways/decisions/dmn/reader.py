"""A DMN file (1.1 to 1.5) to a `Model`: definitions, DRG elements, requirements, imports, item definitions.

Elements may carry a prefix or not and may lack an `id` (the name stands in). Errors name the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from ...base.xml import XmlProblem, parse_xml
from ..feel.parser import special_names
from . import model as m
from .boxed_reader import find_expression
from .errors import DmnError
from .xmlutil import DMN_NAMESPACES, child, children, line, local, text_of

FEEL_LANGUAGES = (
    "http://www.omg.org/spec/FEEL/20140401",
    "http://www.omg.org/spec/DMN/20180521/FEEL/",
    "https://www.omg.org/spec/DMN/20191111/FEEL/",
    "https://www.omg.org/spec/DMN/20211108/FEEL/",
    "https://www.omg.org/spec/DMN/20230324/FEEL/",
)


def read_model(content: bytes, filename: str = "", imports: Iterable[m.Model] = ()) -> m.Model:
    """Read a DMN file from its bytes (safely: no DTD, no entities, bounded size)."""
    try:
        root = parse_xml(content)
    except XmlProblem as problem:
        raise DmnError(str(problem), problem.line) from None
    return read_root(root, filename, imports)


def read_root(root: Any, filename: str = "", imports: Iterable[m.Model] = ()) -> m.Model:
    """Read an already parsed `definitions` root; `imports` are the models its `import` elements name."""
    namespace = etree.QName(root).namespace
    if namespace not in DMN_NAMESPACES or local(root) != "definitions":
        raise DmnError("not a DMN file: the root must be a DMN definitions element", line(root), local(root),
                       "DMN 1.1 to 1.5 namespaces are read")
    model = m.Model(root.get("namespace") or "", root.get("name") or "", filename,
                    language_of(root.get("expressionLanguage")))
    model.prefixes = {key or "": value for key, value in root.nsmap.items()}
    available = {item.namespace: item for item in imports}
    for item in children(root, "import"):
        space = item.get("namespace") or ""
        model.imports.append(m.Import(space, item.get("name") or "", available.get(space)))
    for item in children(root, "itemDefinition"):
        definition = read_item(item)
        model.item_definitions[definition.name] = definition
    readers = {"inputData": _input_data, "decision": _decision, "businessKnowledgeModel": _bkm,
               "decisionService": _service}
    for item in children(root):
        reader = readers.get(local(item))
        if reader is not None:
            element = reader(item, model)
            group = _group(model, element)
            if element.id in group:
                raise DmnError(f"two elements have the id {element.id!r}", line(item), local(item))
            group[element.id] = element
    model.names = _names(root, model)
    model.parser_names = special_names(model.names)
    return model


def language_of(value: str | None) -> str:
    """"feel" for FEEL (any version's URI, or none given); otherwise the declared language, e.g. "python"."""
    if not value or value in FEEL_LANGUAGES or value.strip().lower() in ("feel", "s-feel") or "FEEL" in value:
        return "feel"
    return value.strip().lower() if "/" not in value else value.strip()


def _group(model: m.Model, element: m.Element) -> dict[str, Any]:
    if isinstance(element, m.Decision):
        return model.decisions
    if isinstance(element, m.Bkm):
        return model.bkms
    if isinstance(element, m.DecisionService):
        return model.services
    return model.input_data


def _identity(element: Any) -> tuple[str, str, str | None]:
    name = element.get("name") or ""
    identifier = element.get("id") or name
    if not identifier:
        raise DmnError(f"a {local(element)} needs an id or a name", line(element), local(element))
    variable = child(element, "variable")
    type_ref = variable.get("typeRef") if variable is not None else None
    return identifier, name or identifier, type_ref or element.get("typeRef")


def ref_of(element: Any, model: m.Model) -> m.Ref:
    """An href: `#id` in this file, `namespace#id` in an imported one."""
    href = (element.get("href") or "").strip()
    if not href:
        raise DmnError("a requirement needs an href: '#id' or 'namespace#id'", line(element), local(element))
    space, _, identifier = href.rpartition("#")  # a bare id (no '#') is taken as one in this file
    return m.Ref("" if space in ("", model.namespace) else space, identifier)


def _input_data(element: Any, model: m.Model) -> m.InputData:
    identifier, name, type_ref = _identity(element)
    return m.InputData(identifier, name, line(element), type_ref)


def _requirements(element: Any, model: m.Model, kind: str, inner: tuple[str, ...]) -> list[m.Ref]:
    refs = []
    for requirement in children(element, kind):
        for target in children(requirement):
            if local(target) in inner:
                refs.append(ref_of(target, model))
    return refs


def _decision(element: Any, model: m.Model) -> m.Decision:
    identifier, name, type_ref = _identity(element)
    return m.Decision(identifier, name, line(element), type_ref, find_expression(element),
                      _requirements(element, model, "informationRequirement", ("requiredDecision", "requiredInput")),
                      _requirements(element, model, "knowledgeRequirement", ("requiredKnowledge",)))


def _bkm(element: Any, model: m.Model) -> m.Bkm:
    identifier, name, type_ref = _identity(element)
    logic_element = child(element, "encapsulatedLogic")
    logic = None
    if logic_element is not None:
        parameters = [m.Parameter(item.get("name", ""), item.get("typeRef"))
                      for item in children(logic_element, "formalParameter")]
        logic = m.FunctionDefinition(parameters, find_expression(logic_element), logic_element.get("kind") or "FEEL",
                                     line(logic_element), logic_element.get("typeRef"))
    return m.Bkm(identifier, name, line(element), type_ref, logic,
                 _requirements(element, model, "knowledgeRequirement", ("requiredKnowledge",)))


def _service(element: Any, model: m.Model) -> m.DecisionService:
    identifier, name, type_ref = _identity(element)

    def refs(kind: str) -> list[m.Ref]:
        return [ref_of(item, model) for item in children(element, kind)]
    return m.DecisionService(identifier, name, line(element), type_ref, refs("outputDecision"),
                             refs("encapsulatedDecision"), refs("inputDecision"), refs("inputData"))


def read_item(element: Any) -> m.ItemDefinition:
    type_ref = child(element, "typeRef")
    allowed = child(element, "allowedValues")
    definition = m.ItemDefinition(
        element.get("name") or element.get("label") or "", (type_ref.text or "").strip() if type_ref is not None
        else element.get("typeRef"), [read_item(item) for item in children(element, "itemComponent")],
        (element.get("isCollection") or "false").strip() == "true",
        m.Literal(text_of(allowed), line(allowed)) if allowed is not None else None,
        child(element, "functionItem") is not None, line(element))
    return definition


def _names(root: Any, model: m.Model) -> tuple[str, ...]:
    """Every name in the file, and `import.name` for the imported elements, for the FEEL parser."""
    names = {name for name in (item.get("name") for item in root.iter() if isinstance(item.tag, str)) if name}
    for item in model.imports:
        if item.model is not None:
            inner = {element.name for element in item.model.elements().values()} | set(item.model.names)
            names |= inner if not item.name else {f"{item.name}.{name}" for name in inner} | inner
    return tuple(sorted(names))
