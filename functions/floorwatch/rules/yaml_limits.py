"""Bounds on a rules document, checked on its YAML node graph before anything is constructed.

YAML anchors and aliases share nodes: a 1.5 KB file of nested anchors ("billion laughs") composes into
a few dozen nodes but constructs, validates and walks as billions. The size a document *would* have
with every alias expanded is computed on the shared graph (each node once), and a document over the
bound is refused with a clear problem instead of hanging ``rules check`` and ``replay`` for minutes.
"""

from __future__ import annotations

import yaml

MAX_RULES_TEXT = 2_000_000  # characters: a rules file is hand-written, the shipped one is ~10 KB
MAX_EXPANDED_NODES = 100_000  # every alias expanded: thousands of rules, still far below this


def expansion_problem(root: yaml.Node | None) -> str | None:
    """Why the document is too large once aliases are expanded, or None."""
    if root is None:
        return None
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        size = 1 + sum(sizes.get(id(child), 0) for child in children)
        if size > MAX_EXPANDED_NODES:
            return (
                f"the document expands to more than {MAX_EXPANDED_NODES} YAML nodes once its aliases "
                "(*name) are expanded: nested anchors are not supported at that size"
            )
        sizes[id(node)] = size
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
