"""The README documents every command and option the CLI offers."""

import argparse
import re
from pathlib import Path

import pytest

from geomap.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _commands():
    out = []
    for name, sub in _subparsers(build_parser()):
        out.append((name, sub))
        for child, subsub in _subparsers(sub):
            out.append((f"{name} {child}", subsub))
    return out


COMMANDS = _commands()


def test_every_command_is_documented():
    names = [name for name, _ in COMMANDS]
    assert {"map", "extract", "places", "geocode", "gazetteer", "eval", "render",
            "gazetteer build", "gazetteer info", "gazetteer import"} <= set(names)
    for name in names:
        assert f"geomap {name}" in README, f"'geomap {name}' missing from README"


@pytest.mark.parametrize(("name", "parser"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_option_in_help_is_in_readme(name, parser):
    help_text = parser.format_help()
    options = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", help_text))
    options.discard("-h")
    options.discard("--help")
    missing = sorted(o for o in options
                     if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])",
                                      README))
    assert not missing, f"geomap {name}: options not in README: {missing}"


def test_quick_start_has_the_two_commands_and_ci_runs_the_test_one():
    assert "pip install -e . && geomap map examples/ -o output/" in README
    assert 'pip install -e ".[test]" && pytest' in README
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert '\npip install -e ".[test]" && pytest\n' in ci
