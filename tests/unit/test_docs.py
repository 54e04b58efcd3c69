"""Documentation that cannot drift: every command, option and setting is documented."""

from __future__ import annotations

import dataclasses
import re

from conftest import PROJECT_ROOT

from trialfinder.cli import main
from trialfinder.settings import PREFIX, SETTING_NAMES, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SETTINGS_DOC = (PROJECT_ROOT / "docs" / "SETTINGS.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme_table():
    for name in main.commands:
        assert re.search(rf"^\| `{name}[ `]", README, re.MULTILINE), f"README's command table lacks `{name}`"


def test_every_command_and_option_has_help_text():
    for name, command in main.commands.items():
        assert command.help and len(command.help) > 20, name
        for parameter in command.params:
            if parameter.param_type_name == "option":
                assert parameter.help, f"{name} {parameter.opts[0]} has no help text"


def test_every_setting_is_documented_and_every_documented_setting_exists():
    documented = set(re.findall(rf"`{PREFIX}([A-Z_]+)`", SETTINGS_DOC))
    assert documented == set(SETTING_NAMES)
    fields = {field.name.upper() for field in dataclasses.fields(Settings)}
    assert fields == set(SETTING_NAMES)


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:12])
    assert "make start" in first_screen and "make test" in first_screen
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == "make test"
