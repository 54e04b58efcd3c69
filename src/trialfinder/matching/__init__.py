"""Trials for me (issue #18): which trials could this person join?

A person is read once (`patient.py`: a description through `facts`, a FHIR bundle through `eligibility`, plus the
answers they kept from "Could I take part?"); what they have becomes the terms that retrieve candidate trials by
concept and words (`Patient.reading`, searched by `queries/match.py` with the search's own index); each candidate's
criteria are evaluated on the person's facts (`screen.py`); and one score orders them (`rank.py`).

Pure: no I/O, no logging. What a person describes is personal health data (DEVELOPERS.md, "Personal data").
"""

from trialfinder.matching.patient import EmptyDescription, Patient, Topic, patient_from_fhir, patient_from_text
from trialfinder.matching.rank import match_score
from trialfinder.matching.screen import Screening, screen

__all__ = [
    "EmptyDescription",
    "Patient",
    "Screening",
    "Topic",
    "match_score",
    "patient_from_fhir",
    "patient_from_text",
    "screen",
]
