"""The corpus plan: which documents to make, in which half, under which render.

Owns the split by layout (layouts 0-2 of each form and the tune look-alike kinds go to ``tune``,
layouts 3-5 and the other look-alike kinds to ``test``), the signing scenarios cycled over each
layout, and the rotation of renders. Pure data: building and rendering happen in ``generate``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.heldout import forms_hmis10, forms_org, forms_user, lookalikes

RENDERS = ["text", "scan", "rotated", "fax", "photo", "tiff", "heic"]
FORMS = {"organization_agreement": forms_org, "user_agreement": forms_user, "hmis10_acknowledgement": forms_hmis10}
HALVES = {"tune": [0, 1, 2], "test": [3, 4, 5]}
PER_LAYOUT = 6
PER_LOOKALIKE = 3
BLANKS_PER_HALF = 4

# Signing scenarios, cycled over each layout's instances.
#   p: principal signs (ED/AR, or the user); s: supervisor/trainer signs;
#   cv: someone wrote into the CoC section; cs: someone signed it; self: that someone is the ED.
SCENARIOS: dict[str, list[dict[str, bool]]] = {
    "organization_agreement": [
        {"p": True}, {"p": True}, {"p": False}, {"p": True, "cv": True, "cs": True, "self": True}, {"p": True},
        {"p": True, "cv": True}, {"p": True}, {"p": False, "cs": True, "self": True},
        {"p": True, "cv": True, "cs": True},
    ],
    "user_agreement": [
        {"p": True, "s": True}, {"p": True}, {"p": False}, {"p": False, "s": True}, {"p": True, "s": True},
        {"p": True},
    ],
    "hmis10_acknowledgement": [
        {"p": True}, {"p": True, "s": True}, {"p": False}, {"p": False, "s": True}, {"p": True}, {"p": True},
    ],
}


@dataclass
class Job:
    """One output file."""

    key: str  # stable id, seeds the job's random streams
    half: str
    kind: str  # truth kind
    family: str  # a form kind, "blank:<form kind>" or "lookalike"
    layout: str  # layout name
    index: int  # layout index in its module, or -1 for look-alikes
    render: str
    scenario: dict[str, bool] = field(default_factory=dict)
    name: str = ""


def make_plan(seed: int) -> list[Job]:
    """Every job for ``seed``, shuffled and named ``hd000``... (names carry no hint of the content)."""
    r = random.Random(f"plan:{seed}")
    jobs: list[Job] = []
    for half, idxs in HALVES.items():
        for fi, (kind, mod) in enumerate(FORMS.items()):
            scen = SCENARIOS[kind]
            for li in idxs:
                for j in range(PER_LAYOUT):
                    jobs.append(Job(f"{kind}:{li}:{j}", half, kind, kind, mod.NAMES[li], li,
                                    RENDERS[(j + 2 * li + 3 * fi) % len(RENDERS)], scen[(j + 2 * li) % len(scen)]))
        kinds = lookalikes.TUNE if half == "tune" else lookalikes.TEST
        for ki, name in enumerate(kinds):
            for j in range(PER_LOOKALIKE):
                jobs.append(Job(f"look:{name}:{j}", half, "unknown", "lookalike", name, -1,
                                RENDERS[(j * 2 + ki) % len(RENDERS)]))
        for j in range(BLANKS_PER_HALF):
            kind = list(FORMS)[(j + (half == "test")) % 3]
            li = idxs[j % 3]
            render = RENDERS[(j * 3 + 1 + (half == "test")) % len(RENDERS)]
            jobs.append(Job(f"blank:{kind}:{li}:{j}", half, "unknown", f"blank:{kind}",
                            "blank-" + FORMS[kind].NAMES[li], li, render))
    r.shuffle(jobs)
    for n, job in enumerate(jobs):
        job.name = f"hd{n:03d}"
    return jobs
