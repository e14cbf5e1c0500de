"""Lint of DMN files: FEEL files through `pathways.decisions.lint`, Python ones with the sandbox's rules.

A DMN file is FEEL unless it declares another `expressionLanguage` (docs/decisions.md). The FEEL
checks (cells that do not parse, unknown names, overlapping UNIQUE rules, cycles, values outside
their types) live in the decisions package, which knows DMN; here they become located problems.
Files that declare `expressionLanguage="python"` keep the checks they had before FEEL: every cell
through the sandbox's policy, and SpiffWorkflow's DMN parser.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pathways.decisions import lint as decision_lint
from pathways.engine.deciding import uses_feel
from pathways.engine.definitions import Document, DocumentIndex, etree_localname
from pathways.engine.parser import PathwaysParser
from pathways.engine.problems import Problem, located
from pathways.engine.roles import RoleVocabulary
from pathways.engine.sandbox import check_source


def check_dmn(doc: Document, index: DocumentIndex, roles: RoleVocabulary) -> Iterator[Problem]:
    if not uses_feel(doc.root, "feel"):
        yield from _check_python_dmn(doc)
        return
    for found in decision_lint.lint_dmn(doc.source.content, doc.source.filename):
        message = f"{found.place}: {found.message}" if found.place else found.message  # decision, rule, column
        yield Problem(doc.source.filename, found.line, found.element, message, found.hint or "", found.severity)


#: the longest DMN expression or entry accepted: SpiffWorkflow rewrites every input entry with a
#: regular expression whose time grows with the square of the entry's length, on each evaluation
MAX_DMN_EXPRESSION = 2000


def _mark_input(entry: str) -> str:
    """`?` outside quotes becomes `dmninputexpr`, as SpiffWorkflow reads it (a `?` followed by an
    even number of quote characters, `'` and `"` alike), in one pass from the end."""
    out, quotes = [], 0
    for char in reversed(entry):
        if char in "'\"":
            quotes += 1
        out.append("dmninputexpr" if char == "?" and quotes % 2 == 0 else char)
    return "".join(reversed(out))


def _dmn_entry_source(entry: str) -> str:
    """The expression an input entry becomes at run time: itself (compared with `==`) when it is
    an expression, else `dmninputexpr <entry>` (`> 5`); `?` stands for the input's value."""
    entry = _mark_input(entry)
    if "dmninputexpr" in entry:
        return entry
    try:
        ast.parse(entry, mode="eval")
    except SyntaxError:
        return f"dmninputexpr {entry}"
    return entry


def _check_dmn_expressions(doc: Document) -> Iterator[Problem]:
    """Input expressions, input entries and output entries, with the sandbox's rules (as scripts)."""
    for node in doc.root.iter():
        if not isinstance(node.tag, str):
            continue
        kind = etree_localname(node.tag)
        if kind not in ("inputExpression", "inputEntry", "outputEntry"):
            continue
        text_node = next((c for c in node if isinstance(c.tag, str) and etree_localname(c.tag) == "text"), None)
        text = (text_node.text or "").strip() if text_node is not None else ""
        if not text or (kind == "inputEntry" and text == "-"):
            continue
        if len(text) > MAX_DMN_EXPRESSION:
            yield located(doc, node, f"{kind} is {len(text):,} characters long, over the limit of "
                                      f"{MAX_DMN_EXPRESSION:,}", "split the rule, or compute the value in a script")
            continue
        source = _dmn_entry_source(text) if kind == "inputEntry" else text
        for message in check_source(source, "eval"):
            yield located(doc, node, f"{kind}: {message}", "write a Python expression, e.g. >= 18 or 'high'")



def _check_python_dmn(doc: Document) -> Iterator[Problem]:
    yield from _check_dmn_expressions(doc)
    parser = PathwaysParser(dmn_language="python")
    try:
        parser.add_document(doc.root, doc.source.filename)
        for dmn in parser.dmn_parsers.values():
            dmn.parse()
    except Exception as exc:  # SpiffWorkflow's DMN parser raises bare KeyError/IndexError on bad files
        decision = next((n for n in doc.root.iter() if etree_localname(n.tag) == "decision"), doc.root)
        yield located(doc, decision, f"decision table cannot be read: {type(exc).__name__}: {exc}",
                      "check inputs, outputs and rules in the DMN editor")
