"""The decision requirements graph for lint: requirements that point to nothing, and cycles.

A cycle (a decision that needs itself, directly or through others) can never be evaluated, so
lint refuses it at upload rather than letting every case that reaches it fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def find_cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Cycles found by depth-first search, each once, as [a, b, ..., a]: at least one in every group
    of nodes that need each other (not every elementary cycle: one is enough to refuse a file).

    `edges` maps a node to the nodes it requires; nodes missing from the mapping have no edges.
    Each cycle is rotated to start at its smallest node so the same cycle found twice is kept once.
    """
    seen: set[tuple[str, ...]] = set()
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, path: list[str], on_path: dict[str, int]) -> None:
        on_path[node] = len(path)
        path.append(node)
        for target in edges.get(node, ()):
            if target in on_path:
                cycle = path[on_path[target]:]
                start = cycle.index(min(cycle))
                key = tuple(cycle[start:] + cycle[:start])
                if key not in seen:
                    seen.add(key)
                    cycles.append([*key, key[0]])
            elif target not in done:
                visit(target, path, on_path)
        path.pop()
        del on_path[node]
        done.add(node)

    for node in sorted(edges):
        if node not in done:
            visit(node, [], {})
    return cycles


def href_target(href: str) -> tuple[str, str]:
    """`#id` -> ("", "id"); `namespace#id` (an imported element) -> ("namespace", "id")."""
    namespace, _, target = href.rpartition("#")
    return namespace, target if "#" in href else href
