"""Facts from text: what a free-text description (a person's own words or a clinical note, English or Dutch) says
about one person, each fact with the span it came from (issue #18).

- `read_facts(text, *, language="en", vocabulary=None, today=None) -> Facts`
- `to_eligibility_facts(facts) -> PatientFacts`: what the eligibility engine evaluates criteria on; only what was
  found, so everything else stays "unknown".

Pure: rules and word lists in data/ (see data/README.md), conditions and drugs through the concept vocabulary; no
model, no I/O beyond reading the shipped files. A description is personal health data: this package holds it only
in memory and never logs it (DEVELOPERS.md, "Personal data").
"""

from trialfinder.facts.convert import to_eligibility_facts
from trialfinder.facts.model import Facts
from trialfinder.facts.read import read_facts

__all__ = ["Facts", "read_facts", "to_eligibility_facts"]
