"""YAML config files, parsed once by PyYAML's safe loader: one node graph, positions and values.

The loader composes each document into a node graph (an alias is the very node its anchor names),
the graph becomes ConfigNodes, and the same loader's constructor turns the graph into values, so
every value is exactly what `yaml.safe_load` returns (YAML 1.1: `1e-3` is the string "1e-3").
"""

from __future__ import annotations

import dataclasses
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dllint.sources.config_file import LineIndex
from dllint.sources.config_model import ConfigNode, ConfigParseError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A real config expands to thousands of values; "billion laughs" (9 levels of 9 aliases) to 387M.
MAX_EXPANDED_NODES = 1_000_000
_KINDS = {MappingNode: "mapping", SequenceNode: "sequence", ScalarNode: "scalar"}
_PROPERTIES = re.compile(r"(?:[&!]\S*(?:\s|#[^\r\n]*)*)*")  # `&anchor !!tag # comment`
_UNKNOWN_TAG = re.compile(r"could not determine a constructor for the tag '([^']*)'")


def load_yaml(text: str, lines: LineIndex) -> list[ConfigNode]:
    try:
        loader = _Loader(text)  # the pure-Python reader already rejects bad characters here
        try:
            documents = []
            while loader.check_node():
                documents.append(_document(loader, loader.get_node(), lines))
            return documents
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise _error(exc, lines) from None
    except yaml.YAMLError as exc:  # ReaderError (a forbidden character) carries no mark
        at = lines.position(getattr(exc, "position", 0) or 0)
        raise ConfigParseError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}", *at) from None


def _document(loader, root: Node, lines: LineIndex) -> ConfigNode:
    pending = _build(root, lines)
    top = pending[0][0]
    if len(pending) > len({id(ynode) for _, ynode, _ in pending}):  # aliases were written
        _check_expansion(root, lines)
    try:
        objects = _construct(loader, root)
        for node, ynode, key_node in pending:
            node.value = objects[ynode] if ynode in objects else _construct(loader, ynode)[ynode]
            if key_node is None:
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                node.key = "<<"  # the constructor removed it while merging; keep it as written
            elif objects.get(key_node) is None:  # `~:` - a None key would end ConfigNode.path
                node.key = lines.text[key_node.start_mark.index:key_node.end_mark.index]
            else:
                node.key = objects[key_node]
        for node, _, _ in pending:
            # safe_load keeps the last of duplicate keys; the tree must not offer a stale one.
            last = {child.key: child for child in node.children}
            if node.kind == "mapping" and len(last) < len(node.children):
                node.children[:] = [child for child in node.children if last[child.key] is child]
    except (ValueError, OverflowError) as exc:  # `2021-13-45` is a timestamp that safe_load rejects
        raise ConfigParseError(f"cannot construct a value: {exc}", top.line, top.column) from None
    finally:  # like construct_document: the next document starts with an empty memo
        loader.constructed_objects, loader.recursive_objects = {}, {}
    return top


def _construct(loader, ynode: Node) -> dict:
    # What construct_document does, minus forgetting the node -> object memo we read values from.
    loader.construct_object(ynode)
    while loader.state_generators:
        generators, loader.state_generators = loader.state_generators, []
        for generator in generators:
            for _ in generator:
                pass
    return loader.constructed_objects


def _build(root: Node, lines: LineIndex) -> list[tuple[ConfigNode, Node, Node | None]]:
    """ConfigNodes in document order, with the yaml node and key node each takes its value from.

    Children are read before construction because the constructor rewrites mappings with merge
    keys (`<<:`) in place: the tree keeps them as written, with a child keyed "<<".
    """
    memo: dict[int, ConfigNode] = {}
    pending: list[tuple[ConfigNode, Node, Node | None]] = []
    stack: list = [(None, iter([(None, None, root)]))]
    while stack:  # depth-first with explicit iterators: document order, no recursion
        parent, items = stack[-1]
        key, key_node, ynode = next(items, (None, None, None))
        if ynode is None:
            stack.pop()
            continue
        if id(ynode) in memo:
            # An alias: a copy that knows its own key but shares the anchored node's children,
            # so the tree grows by one node per `*alias` written, never by the expansion.
            node = dataclasses.replace(memo[id(ynode)], parent=parent)
        else:
            end = ynode.end_mark.index
            # A node's mark starts at its anchor or tag; positions and raw text skip them.
            start = _PROPERTIES.match(lines.text, ynode.start_mark.index, end).end()
            node = ConfigNode(_KINDS[type(ynode)], None, *lines.span(start, end), parent=parent)
            if isinstance(ynode, ScalarNode):
                node.raw = lines.text[start:end].rstrip()
                node.quoted = ynode.style in ("'", '"')
            memo[id(ynode)] = node
            stack.append((node, _items(ynode)))
        node.key = key
        node.key_line, node.key_column = (0, 0) if key_node is None else lines.position(
            key_node.start_mark.index
        )
        if parent is not None:
            parent.children.append(node)
        pending.append((node, ynode, key_node))
    return pending


def _items(ynode: Node):
    """(index or None, key node or None, value node) for each child of a collection."""
    if isinstance(ynode, MappingNode):
        return ((None, k, v) for k, v in ynode.value)
    if isinstance(ynode, SequenceNode):
        return ((i, None, v) for i, v in enumerate(ynode.value))
    return iter(())


def _check_expansion(root: Node, lines: LineIndex) -> None:
    """Refuse a document whose aliases expand to an absurd number of values (an alias bomb).

    Counted over the shared graph in linear time; anything walking the loaded value as a tree
    (a rule, or the user's own program) would pay for the full expansion.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        ynode, done = stack.pop()
        children = [n for _, k, v in _items(ynode) for n in (k, v) if n is not None]
        if not done:
            if id(ynode) not in sizes:
                sizes[id(ynode)] = 1  # until finished; a recursive alias back to it counts once
                stack.append((ynode, True))
                stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        sizes[id(ynode)] = 1 + sum(sizes[id(child)] for child in children)
        if sizes[id(ynode)] > MAX_EXPANDED_NODES:
            raise ConfigParseError(
                f"aliases expand this document to more than {MAX_EXPANDED_NODES:,} values "
                "(an alias bomb?); refused",
                *lines.position(ynode.start_mark.index),
            )


def _error(exc: yaml.MarkedYAMLError, lines: LineIndex) -> ConfigParseError:
    mark = exc.problem_mark or exc.context_mark
    at = lines.position(mark.index) if mark is not None else (1, 1)
    unknown = _UNKNOWN_TAG.search(exc.problem or "")
    if unknown:
        tag = unknown.group(1).replace("tag:yaml.org,2002:", "!!")
        message = f"refused tag {tag}: yaml.safe_load cannot construct it"
        return ConfigParseError(f"{message} (dllint loads YAML with a safe loader only)", *at)
    context = exc.context
    started = lines.position(exc.context_mark.index)[0] if exc.context_mark else at[0]
    if context and started != at[0]:
        # "while parsing a flow sequence": say where it started, often lines above the problem.
        context += f" started at line {started}"
    problem = ", ".join(part for part in (context, exc.problem) if part)
    return ConfigParseError(f"{type(exc).__name__}: {problem}", *at)
