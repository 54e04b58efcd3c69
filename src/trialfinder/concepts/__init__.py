"""Concepts: what the words people type mean, as MeSH descriptors (see DEVELOPERS.md, "Concepts").

`vocabulary` holds the descriptors with their entry terms, lay English and Dutch words and abbreviations, and matches
typed words to them; `query` reads a search's text into a `Reading` (phrases, OR, exclusions, identifiers, concepts,
corrected spellings) and says which concepts a trial is about (`trial_concepts`). Pure: no I/O beyond reading the
shipped vocabulary file, no logging.
"""
