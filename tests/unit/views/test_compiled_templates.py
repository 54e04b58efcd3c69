"""Environments that share a CompiledTemplates compile a template once, and again only when its source changes."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment

from trialfinder.views.compiled_templates import CompiledTemplates


def environment(sources: dict[str, str], compiled: CompiledTemplates) -> Environment:
    return Environment(loader=DictLoader(sources), autoescape=True, bytecode_cache=compiled)


@pytest.fixture
def compilations(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from source, in order."""
    seen: list[str] = []
    original = Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        seen.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", counting)
    return seen


def test_a_second_environment_renders_the_code_the_first_compiled(compilations):
    compiled = CompiledTemplates()
    sources = {"page.html": "<p>{{ name }}</p>"}
    assert environment(sources, compiled).get_template("page.html").render(name="<b>") == "<p>&lt;b&gt;</p>"
    assert environment(sources, compiled).get_template("page.html").render(name="Anna") == "<p>Anna</p>"
    assert compilations == ["page.html"]


def test_a_changed_template_is_compiled_again(compilations):
    compiled = CompiledTemplates()
    environment({"page.html": "<p>{{ name }}</p>"}, compiled).get_template("page.html")
    changed = environment({"page.html": "<div>{{ name }}</div>"}, compiled).get_template("page.html")
    assert changed.render(name="Anna") == "<div>Anna</div>"
    assert compilations == ["page.html", "page.html"]


def test_without_a_shared_store_each_environment_compiles_its_own(compilations):
    sources = {"page.html": "<p>{{ name }}</p>"}
    for _ in range(2):
        environment(sources, CompiledTemplates()).get_template("page.html")
    assert compilations == ["page.html", "page.html"]
