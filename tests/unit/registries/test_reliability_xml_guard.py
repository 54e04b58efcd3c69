"""The legacy XML reader refuses a DOCTYPE (and so any entity) in whatever encoding the document is written: the
check must see the text as the XML parser will, not only the UTF-8 bytes `<!DOCTYPE`."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from trialfinder.domain.errors import InvalidRecord
from trialfinder.registries.ctgov_xml.mapping import to_trial

RECORD = (Path(__file__).resolve().parents[2] / "fixtures" / "ctgov_xml" / "NCT00000102.xml").read_text()
TITLE = "Congenital Adrenal Hyperplasia: Calcium Channels as Therapeutic Targets"
# An internal DTD whose entity would replace the title: what a DOCTYPE lets a record do.
DTD = '<!DOCTYPE clinical_study [<!ENTITY title "Injected by an entity">]>\n'
WITH_DTD = RECORD.replace("<clinical_study>", DTD + "<clinical_study>", 1).replace(TITLE, "&title;", 1)


def _declared(text: str, encoding: str) -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{text}'


ENCODED = {
    "utf-16 with a BOM": lambda text: codecs.BOM_UTF16_LE + _declared(text, "UTF-16").encode("utf-16-le"),
    "utf-16 big-endian with a BOM": lambda text: codecs.BOM_UTF16_BE + _declared(text, "UTF-16").encode("utf-16-be"),
    "utf-16 little-endian without a BOM": lambda text: _declared(text, "UTF-16LE").encode("utf-16-le"),
    "utf-16 big-endian without a BOM": lambda text: _declared(text, "UTF-16BE").encode("utf-16-be"),
    "utf-32 with a BOM": lambda text: codecs.BOM_UTF32_LE + _declared(text, "UTF-32").encode("utf-32-le"),
    "utf-32 big-endian without a BOM": lambda text: _declared(text, "UTF-32BE").encode("utf-32-be"),
    "utf-16 starting with a blank, undeclared": lambda text: (" " + text).encode("utf-16-le"),
}


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_a_doctype_is_refused_in_any_encoding_and_a_clean_record_still_reads(encoding):
    encode = ENCODED[encoding]
    assert TITLE in RECORD and "&title;" in WITH_DTD
    with pytest.raises(InvalidRecord, match="DOCTYPE"):
        to_trial(encode(WITH_DTD))
    assert to_trial(encode(RECORD)).brief_title == TITLE

