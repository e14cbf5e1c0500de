"""Small DMN documents for the DMN unit tests, written out so each test shows the XML it reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

from pathways.decisions import Model, read_model

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def definitions(body: str, *, namespace: str = "urn:test", name: str = "test", prefix: str = "",
                extra: str = "", dmn_namespace: str = DMN13) -> bytes:
    """A definitions element around `body`; with `prefix`, every element in `body` must carry it."""
    tag = f"{prefix}:definitions" if prefix else "definitions"
    xmlns = f'xmlns:{prefix}="{dmn_namespace}"' if prefix else f'xmlns="{dmn_namespace}"'
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag} {xmlns} namespace="{namespace}" name="{name}" '
            f'{extra}>\n{body}\n</{tag}>').encode()


def model(body: str, imports: Iterable[Model] = (), **options: str) -> Model:
    return read_model(definitions(body, **options), "test.dmn", imports)


def input_data(name: str, type_ref: str = "", identifier: str = "") -> str:
    identifier = identifier or "i_" + name.replace(" ", "_")
    typed = f' typeRef="{type_ref}"' if type_ref else ""
    return f'<inputData id="{identifier}" name="{name}"><variable name="{name}"{typed}/></inputData>'


def requires(*refs: str, kind: str = "input") -> str:
    inner = "requiredInput" if kind == "input" else "requiredDecision"
    return "".join(f'<informationRequirement><{inner} href="#{ref}"/></informationRequirement>' for ref in refs)


def literal_decision(name: str, text: str, *, needs: str = "", type_ref: str = "", identifier: str = "") -> str:
    identifier = identifier or "d_" + name.replace(" ", "_")
    typed = f' typeRef="{type_ref}"' if type_ref else ""
    return (f'<decision id="{identifier}" name="{name}"><variable name="{name}"{typed}/>{needs}'
            f'<literalExpression><text>{escape(text)}</text></literalExpression></decision>')


def table(inputs: Sequence[str], outputs: Sequence[str], rules: Sequence[Sequence[str]], *, hit_policy: str = "UNIQUE",
          aggregation: str = "", output_values: Sequence[str] = (), defaults: Sequence[str] = (),
          input_values: Sequence[str] = ()) -> str:
    """A decision table: rules are input entries then output entries, in column order."""
    aggregate = f' aggregation="{aggregation}"' if aggregation else ""
    parts = [f'<decisionTable hitPolicy="{escape(hit_policy)}"{aggregate}>']
    for index, text in enumerate(inputs):
        values = (f"<inputValues><text>{escape(input_values[index])}</text></inputValues>"
                  if index < len(input_values) and input_values[index] else "")
        parts.append(f'<input id="in{index}" label="{escape(text)}"><inputExpression><text>{escape(text)}</text>'
                     f"</inputExpression>{values}</input>")
    for index, name in enumerate(outputs):
        values = (f"<outputValues><text>{escape(output_values[index])}</text></outputValues>"
                  if index < len(output_values) and output_values[index] else "")
        default = (f"<defaultOutputEntry><text>{escape(defaults[index])}</text></defaultOutputEntry>"
                   if index < len(defaults) and defaults[index] else "")
        parts.append(f'<output id="out{index}" name="{name}">{values}{default}</output>')
    for number, rule in enumerate(rules, start=1):
        cells = [f"<inputEntry><text>{escape(cell)}</text></inputEntry>" for cell in rule[:len(inputs)]]
        cells += [f"<outputEntry><text>{escape(cell)}</text></outputEntry>" for cell in rule[len(inputs):]]
        parts.append(f'<rule id="r{number}">{"".join(cells)}</rule>')
    parts.append("</decisionTable>")
    return "".join(parts)


def table_decision(name: str, table_xml: str, needs: str = "") -> str:
    return f'<decision id="d_{name}" name="{name}"><variable name="{name}"/>{needs}{table_xml}</decision>'
