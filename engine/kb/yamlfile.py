"""YAML with line numbers, so that definition errors can say ``file:line key.path``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.domain.errors import DefinitionError, DefinitionProblem

# libyaml's parser when PyYAML was built with it (its wheels are), else PyYAML's own: the same
# nodes and marks, parsed in C (the knowledge base and rules were 0.05 s of every command)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LocatedYaml:
    """A parsed YAML document and the line of every key path in it."""

    def __init__(self, path: Path):
        self.path = path
        self.lines: dict[tuple[Any, ...], int] = {}
        try:
            text = path.read_text(encoding="utf-8")
            node = yaml.compose(text, Loader=_LOADER)
        except (OSError, UnicodeDecodeError) as exc:
            raise DefinitionError([DefinitionProblem(str(path), None, "", f"cannot read: {exc}")]) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else None
            raise DefinitionError([DefinitionProblem(str(path), line, "", f"not valid YAML: {exc}")]) from None
        self._scalars = yaml.SafeLoader("")  # constructs each scalar as safe_load would
        self.data = self._walk(node, ()) if node is not None else None

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = {}
            for key_node, value_node in node.value:
                key = key_node.value
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                out[key] = self._walk(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._walk(child, path + (i,)) for i, child in enumerate(node.value)]
        return self._scalars.construct_object(node, deep=True)

    def line(self, path: tuple[Any, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def problem(self, path: tuple[Any, ...], message: str) -> DefinitionProblem:
        return DefinitionProblem(str(self.path), self.line(path), format_path(path), message)

    def problems_from(self, exc: ValidationError, prefix: tuple[Any, ...] = ()) -> list[DefinitionProblem]:
        out = []
        for err in exc.errors(include_url=False):
            loc = prefix + self._in_document(prefix, tuple(err["loc"]))
            out.append(self.problem(loc, err["msg"].removeprefix("Value error, ")))
        return out

    def _in_document(self, prefix: tuple[Any, ...], loc: tuple[Any, ...]) -> tuple[Any, ...]:
        """Drop the parts of a pydantic location that are not keys of the document (union tags)."""
        node: Any = self.data
        for part in prefix:
            node = node[part]
        kept: list[Any] = []
        for part in loc:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            elif isinstance(node, dict):
                kept.append(part)  # a missing or unexpected key: name it, then stop
                break
            else:
                break
            kept.append(part)
        return tuple(kept)


def format_path(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
