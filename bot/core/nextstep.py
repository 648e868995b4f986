"""What the reader of a mail does next, and where. Pure.

Every mail an organization receives ends with its next step: who does what, sent to
which address, with the link to the blank form or the training website when LAHSA has
configured one (``links:`` in mailboxes.yaml). The steps come from the same
``Missing`` codes the CES rules produce, so a reply can never advise a step the rules
do not ask for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    text: str
    link: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"text": self.text, "link": self.link}


def _addr(home: Mapping[str, str], role: str, default: str) -> str:
    return home.get(role) or default


def steps_for(codes: Iterable[str], home: Mapping[str, str], links: Mapping[str, str | None], *,
              new_user: bool = False, no_users: bool = False) -> list[Step]:
    """The next steps for these missing items, in the order of the procedure, each once."""
    training = _addr(home, "training", "LAHSA.Training@lahsa.org")
    support = _addr(home, "support", "HMISsupport@lahsa.org")
    join = _addr(home, "join", "JoinHMIS@lahsa.org")
    have = set(codes)
    out: list[Step] = []
    if "org_agreement" in have:
        out.append(Step(f"The Executive Director signs the Organization Agreement (leaving the CoC section blank) "
                        f"and sends a scan of it to {training}.", links.get("organization_agreement")))
    if "program_setup_request" in have:
        out.append(Step(f"The Program Manager writes to {join} naming each program that needs CES access and "
                        "its type (Outreach, Emergency Shelter, Permanent Housing, ...)."))
    if "program_setup_confirmation" in have:
        out.append(Step("The Program Manager checks the programs the HMIS Implementation Team set up and answers "
                        f"their message to confirm the setup ({join})."))
    if no_users:
        out.append(Step(f"The Program Manager sends {join} the staff who need HMIS access: name, email, role, and "
                        "whether each is a new or an existing HMIS user."))
    if "individual_roles" in have:
        out.append(Step(f"The Program Manager tells {join} this user's role(s)."))
    if any(c.startswith("training:") for c in have):
        if new_user:
            out.append(Step("New users first create a login on the HMIS Training Website.", links.get("training_site")))
        out.append(Step("Register for your role's trainings on the HMIS Training Website and attend them.",
                        links.get("training_site")))
    if "form:hmis10_acknowledgement" in have:
        out.append(Step(f"After HMIS 10, sign the HMIS 10 Acknowledgement Form and send a scan to {support}.",
                        links.get("hmis10_acknowledgement")))
    if "form:user_agreement" in have:
        out.append(Step(f"Sign the User Agreement and send a scan to {support}.", links.get("user_agreement")))
    return out


def resend_step(kind: str, home: Mapping[str, str], links: Mapping[str, str | None]) -> Step:
    """Send a corrected form again: to its own inbox, which this mail's Reply-To also names."""
    role = {"organization_agreement": "training"}.get(kind, "support")
    label = {"organization_agreement": "Organization Agreement", "user_agreement": "User Agreement",
             "hmis10_acknowledgement": "HMIS 10 Acknowledgement Form"}.get(kind, "form")
    return Step(f"Send a corrected, signed {label} to {home.get(role, '')}; replying to this message is enough.",
                links.get(kind))
