"""The Dutch catalog is complete and its compiled .mo is what the .po says; the site's words for registry codes
are the command line's (`views.labels`)."""

from __future__ import annotations

import importlib.machinery
import importlib.util

from conftest import PROJECT_ROOT

from trialfinder.views import labels, vocabulary

SCRIPT = PROJECT_ROOT / "scripts" / "update_translations"


def _script():
    loader = importlib.machinery.SourceFileLoader("update_translations", str(SCRIPT))
    spec = importlib.util.spec_from_loader("update_translations", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_compiled_catalogs_are_compiled_from_the_po_files():
    script = _script()
    for language in script.LANGUAGES:
        catalog = script.read_catalog(script.po_path(language), language)
        assert script.mo_path(language).read_bytes() == script.compile_mo(catalog), (
            f"{language}: run scripts/update_translations to compile the .mo"
        )


def test_every_message_of_the_site_has_a_dutch_translation():
    script = _script()
    extracted = script.message_ids(script.extract_catalog())
    assert len(extracted) > 200  # the extractor found the templates' words, not only the code's
    for language in script.LANGUAGES:
        catalog = script.read_catalog(script.po_path(language), language)
        missing = extracted - script.message_ids(catalog)
        assert not missing, (
            f"{language}: messages not in the .po (run scripts/update_translations): {sorted(missing)[:5]}"
        )
        assert script.untranslated(catalog) == [], f"{language}: untranslated or fuzzy messages"


def test_the_check_mode_finds_nothing_to_do():
    assert _script().update(check=True) == []


def test_the_sites_words_for_codes_are_the_command_lines():
    assert vocabulary.STATUS == labels.STATUS
    assert vocabulary.PHASE == labels.PHASE
    assert vocabulary.SEX == labels.SEX
    assert vocabulary.STUDY_TYPE == labels.STUDY_TYPE
    assert vocabulary.NO_PHASE == labels.phases(())
