"""One home for defaults: ``orchestration/lib/settings.py``; the two other copies are derived from it.

Every business rule's default is written once, on its pydantic field in
``settings.py`` (with its validation and a comment). Two files repeat the
defaults for their readers, and both are *derived*:

- ``dbt_project/dbt_project.yml`` ``vars:``, so a plain ``dbt build`` gives the
  pipeline's numbers: exactly ``dbt_vars(RoiConfig())``, the default config as
  the pipeline passes it to dbt;
- ``config/roi.yml``, the documented file users edit: every key it sets holds
  the field's default (its comments are its own).

``python -m orchestration.lib.config_defaults`` (``make defaults``) rewrites
both from ``settings.py``, changing only values that differ, so the files'
layout and comments stay as they are; ``--check`` only reports the
differences (``tests/unit/test_config_defaults.py`` fails on any). To add or
change a rule: edit its field in ``settings.py`` (and ``dbt_vars()`` if dbt
reads it), document the key in ``config/roi.yml`` and add it to the ``vars:``
block, with any value, then run ``make defaults``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from orchestration.lib import settings

DBT_PROJECT_FILE = settings.DBT_PROJECT_DIR / "dbt_project.yml"
# `key: value` on one line (a leaf), optionally followed by a comment.
_LEAF = re.compile(
    r"^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?P<space> +)(?P<value>[^#\n]*?)(?P<rest> *(#.*)?)$"
)
_SECTION = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_]*):\s*(#.*)?$")


@contextmanager
def _without_environment(*names: str) -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def default_dbt_vars() -> dict[str, Any]:
    """The dbt vars of the default config and environment: what ``dbt_project.yml`` must hold."""
    with _without_environment("ROI_REPORTING_CURRENCY"):
        return settings.dbt_vars(settings.RoiConfig())


def default_config() -> dict[str, Any]:
    """Every setting's default, as nested mappings (tuples as lists, as YAML reads them)."""
    return json.loads(settings.RoiConfig().model_dump_json())


def config_leaves(model: type[BaseModel] = settings.RoiConfig, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every setting (a leaf of the config), e.g. ``("attribution", "lookback_days")``."""
    leaves: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            leaves.extend(config_leaves(annotation, (*prefix, name)))
        else:
            leaves.append((*prefix, name))
    return leaves


def _lookup(tree: Mapping[str, Any], path: Sequence[str]) -> tuple[bool, Any]:
    node: Any = tree
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _render(value: Any) -> str:
    """A value as one line of YAML (flow style)."""
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a YAML string, and keeps dates and codes as text
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def rewrite_leaves(text: str, defaults: Mapping[str, Any], root: Sequence[str] = ()) -> tuple[str, list[str]]:
    """``text`` with every leaf under ``root`` set to its value in ``defaults``; only differing lines change.

    Returns the new text and the dotted names of the keys it changed. Keys that ``defaults`` lacks are left
    alone (``missing_keys`` reports them).
    """
    lines = text.splitlines(keepends=True)
    stack: list[tuple[int, str]] = []  # (indent, key) of the open sections
    changed: list[str] = []
    for number, line in enumerate(lines):
        body = line.rstrip("\n")
        if not body.strip() or body.lstrip().startswith(("#", "-")):
            continue
        match = _LEAF.match(body) or _SECTION.match(body)
        if match is None:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = [key for _, key in stack] + [match["key"]]
        if "value" not in match.groupdict() or not match["value"].strip():
            stack.append((indent, match["key"]))
            continue
        if path[: len(root)] != list(root):
            continue
        found, default = _lookup(defaults, path[len(root) :])
        if not found or isinstance(default, Mapping):
            continue
        if yaml.safe_load(match["value"]) == default:
            continue
        lines[number] = f"{match['indent']}{match['key']}:{match['space']}{_render(default)}{match['rest']}" + (
            "\n" if line.endswith("\n") else ""
        )
        changed.append(".".join(path))
    return "".join(lines), changed


def dbt_project_vars(text: str) -> dict[str, Any]:
    return (yaml.safe_load(text) or {}).get("vars") or {}


def config_drift(config_text: str) -> list[str]:
    """What in a roi.yml differs from the defaults: a key set to another value, a setting not documented."""
    written = yaml.safe_load(config_text) or {}
    defaults = default_config()
    problems = []
    for path in config_leaves():
        found, value = _lookup(written, path)
        if not found:
            problems.append(f"{'.'.join(path)}: not in the file (document it, with its default)")
        elif value != _lookup(defaults, path)[1]:
            problems.append(f"{'.'.join(path)}: {value!r} in the file, {_lookup(defaults, path)[1]!r} in settings.py")
    return problems


def dbt_vars_drift(project_text: str) -> list[str]:
    """What in dbt_project.yml's vars differs from ``dbt_vars()`` of the default config."""
    written, expected = dbt_project_vars(project_text), default_dbt_vars()
    problems = [f"{key}: missing from dbt_project.yml vars" for key in expected if key not in written]
    problems += [f"{key}: in dbt_project.yml vars, not in dbt_vars()" for key in written if key not in expected]
    problems += [
        f"{key}: {written[key]!r} in dbt_project.yml, {expected[key]!r} from settings.py"
        for key in expected
        if key in written and written[key] != expected[key]
    ]
    return problems


def write(config_file: Path = settings.DEFAULT_CONFIG_PATH, project_file: Path = DBT_PROJECT_FILE) -> list[str]:
    """Bring both derived files in line with settings.py; returns what changed and what needs a hand."""
    config_text, config_changed = rewrite_leaves(config_file.read_text(encoding="utf-8"), default_config())
    project_text, vars_changed = rewrite_leaves(
        project_file.read_text(encoding="utf-8"), default_dbt_vars(), root=("vars",)
    )
    if config_changed:
        config_file.write_text(config_text, encoding="utf-8")
    if vars_changed:
        project_file.write_text(project_text, encoding="utf-8")
    notes = [f"{config_file.name}: {name} set to its default" for name in config_changed]
    notes += [f"{project_file.name}: {name} set to its default" for name in vars_changed]
    # What a rewrite cannot do (add a key with its comment, remove one) is left to a person.
    notes += [f"{config_file.name}: {problem}" for problem in config_drift(config_text)]
    notes += [f"{project_file.name}: {problem}" for problem in dbt_vars_drift(project_text)]
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report differences, change nothing")
    arguments = parser.parse_args(argv)
    if arguments.check:
        problems = [f"config/roi.yml: {p}" for p in config_drift(settings.DEFAULT_CONFIG_PATH.read_text())]
        problems += [f"dbt_project.yml: {p}" for p in dbt_vars_drift(DBT_PROJECT_FILE.read_text())]
    else:
        problems = write()
    for problem in problems:
        print(problem)
    unresolved = [p for p in problems if "set to its default" not in p]
    return 1 if (unresolved if not arguments.check else problems) else 0


if __name__ == "__main__":
    sys.exit(main())
