"""A trial's arms with their interventions, matched up: registries list them separately and link them by name.

An arm names its interventions as `Drug: Floxuridine` (v2) or by name; an intervention names its arms by label.
Either link is enough. A name that matches no intervention is kept as text, so nothing registered is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.domain.trial import Arm, Intervention, Trial


@dataclass(frozen=True, slots=True)
class ArmView:
    arm: Arm
    interventions: tuple[Intervention, ...]
    unmatched_names: tuple[str, ...]


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def arms_with_interventions(trial: Trial) -> list[ArmView]:
    by_name: dict[str, Intervention] = {}
    for item in trial.interventions:
        by_name[_key(item.name)] = item
        if item.type:
            by_name[_key(f"{item.type.replace('_', ' ')}: {item.name}")] = item
            by_name[_key(f"{item.type}: {item.name}")] = item
    views = []
    for arm in trial.arms:
        found: list[Intervention] = []
        unmatched: list[str] = []
        for name in arm.intervention_names:
            item = by_name.get(_key(name))
            if item is None:
                unmatched.append(name)
            elif item not in found:
                found.append(item)
        for item in trial.interventions:
            if arm.label in item.arm_labels and item not in found:
                found.append(item)
        views.append(ArmView(arm, tuple(found), tuple(unmatched)))
    return views
