"""The kinds of mail hmisbot knows, each once: its label for people and the inbox it belongs in.

Every other table (the wrong-inbox reply's wording, the site's labels, which inbox a
reply's Reply-To names) is derived from ``KINDS`` here, so adding a kind of inbound mail
adds one row, not five entries in five files. Form kinds are the ``ces.rules.Form``
values; message kinds are those of INTERFACE.md (``mail.kinds.MESSAGE_KINDS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.ces.rules import Form
from bot.mail.kinds import MESSAGE_KINDS

InboxRole = str  # "training" | "join" | "support" (config.model MailboxRole)


@dataclass(frozen=True)
class Kind:
    label: str  # one of them, for a person: "User Agreement"
    plural: str  # what an inbox is for: "User Agreements"
    home: InboxRole | None  # the inbox it belongs in (PROCESS.md, "Who sends what, where"); None: any


KINDS: Final[dict[str, Kind]] = {
    Form.ORGANIZATION_AGREEMENT: Kind("Organization Agreement", "the Organization Agreement", "training"),
    Form.USER_AGREEMENT: Kind("User Agreement", "User Agreements", "support"),
    Form.HMIS10_ACKNOWLEDGEMENT: Kind("HMIS 10 Acknowledgement Form", "HMIS 10 Acknowledgement Forms", "support"),
    "program_setup_request": Kind("Program setup request", "program setup requests", "join"),
    "program_setup_confirmation": Kind("Program setup confirmation", "program setup confirmations", "join"),
    "training_roster": Kind("Training completion roster", "training rosters", "training"),
    "account_support": Kind("Account or password question", "account and password questions", "support"),
    "user_roster": Kind("User roster", "lists of users", None),
    "auto_reply": Kind("Automatic reply", "automatic replies", None),
    "bounce": Kind("Bounced mail", "bounced mail", None),
    "other": Kind("Other mail", "other mail", None),
}
FORM_KINDS: Final = tuple(str(f) for f in Form)
assert set(MESSAGE_KINDS) | set(FORM_KINDS) == set(KINDS), "every kind needs a row in KINDS"
HOME: Final = {str(k): v.home for k, v in KINDS.items() if v.home}
LABEL: Final = {str(k): v.label for k, v in KINDS.items()}


def label(kind: str) -> str:
    """A kind for a person; an unknown code with its underscores turned into spaces, never raw."""
    return LABEL.get(kind) or kind.replace("_", " ").capitalize()
