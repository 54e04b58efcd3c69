"""FHIR bundles the tests send: built here once, so that the matcher, its API and its command read the same one."""

from __future__ import annotations

from typing import Any


def colon_cancer_bundle() -> dict[str, Any]:
    """A man born 1950-03-02 with a SNOMED-coded colon cancer ("Malignant tumor of colon (disorder)"): no MeSH code,
    so the display is read as a description's condition is. A fresh dict each call, free to change."""
    return {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "gender": "male", "birthDate": "1950-03-02"}},
            {
                "resource": {
                    "resourceType": "Condition",
                    "code": {
                        "coding": [
                            {
                                "system": "http://snomed.info/sct",
                                "code": "363406005",
                                "display": "Malignant tumor of colon (disorder)",
                            }
                        ]
                    },
                }
            },
        ],
    }
