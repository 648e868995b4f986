"""Plain words for the site: the labels staff read instead of the codes the database keeps.

Every page gets these as Jinja filters (``kind_label``, ``outcome_label`` ...), so a
code never reaches a page by accident: an unknown code is shown with its underscores
turned into spaces, never as ``hmis10_acknowledgement``. Times are the configured
timezone's, written for people ("Thu Dec 3, 2026, 10:00 AM").
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from bot.ces.rules import ProgramType
from bot.core.text import local_date, local_time
from bot.core.vocabulary import LABEL

KINDS = LABEL | {"unknown": "Not recognized", "": "Not read yet"}
OUTCOMES = {
    "processed": "Handled by the bot",
    "review": "Sent to the review queue",
    "baseline": "Already waiting when the bot started (left alone)",
    "failed": "Failed (will be retried)",
    "pending": "Not handled yet",
}
SOURCES = {"text_layer": "read from the PDF's text", "ocr": "read from the scanned image", "none": "no text found"}
CHECKS = {
    "signed": ("Signed", "Not signed"),
    "filled": ("Filled in", "Not filled in"),
    "coc_section_blank": ("CoC Representative section left blank", "CoC Representative section is filled in"),
}
ACCESS = {
    "blocked": "Not ready", "waiting_on_user": "Waiting on the user", "ready": "Ready for an account",
    "granted": "Granted", "overdue": "Overdue",
}
AGREEMENT = {"missing": "Not received", "received": "Received", "rejected": "Not accepted", "accepted": "Accepted",
             "countersigned": "Countersigned"}
SETUP = {"not_needed": "No setup needed", "requested": "Setup requested", "in_setup": "Being set up",
         "awaiting_confirmation": "Set up, waiting for the manager's confirmation", "confirmed": "Confirmed"}
CONTACT_ROLES = {"executive_director": "Executive Director", "program_manager": "Program Manager"}


ACTIONS = {
    "access_granted": "HMIS access recorded as granted", "agreement_accepted": "Organization Agreement accepted",
    "agreement_rejected": "Organization Agreement not accepted", "form_accepted": "Form accepted",
    "held_for_review": "Held for a person to review", "organization_created": "Organization created",
    "setup_requested": "Program setup requested", "setup_confirmed": "Program setup confirmed",
    "setup_followup": "Program setup follow-up", "user_created": "User added", "user_ready": "User ready for access",
    "review_classified": "Review item filed", "review_rejected": "Review item rejected with a reply",
    "review_resolved": "Review item closed", "countersigned": "Agreement countersigned by LAHSA",
    "address_undeliverable": "Address undeliverable", "support_handoff": "Passed to account support",
    "program_set_up": "Program marked as set up",
}


def words(code: str, table: dict[str, str]) -> str:
    return table.get(code, code.replace("_", " ").capitalize())


def program_label(code: str) -> str:
    """A program type in the procedure's words ("Emergency Shelter or Transitional Housing")."""
    return ProgramType(code).label if code in ProgramType._value2member_map_ else words(code, {})


def check_label(name: str, ok: bool) -> str:
    passed, failed = CHECKS.get(name, (name.replace("_", " ").capitalize() + ": yes",
                                      name.replace("_", " ").capitalize() + ": no"))
    return passed if ok else failed


def filters(tz: tzinfo) -> dict[str, Any]:
    """The Jinja filters of every page."""
    return {
        "kind_label": lambda c: words(str(c), KINDS),
        "outcome_label": lambda c: words(str(c), OUTCOMES),
        "source_label": lambda c: words(str(c), SOURCES),
        "access_label": lambda c: words(str(c), ACCESS),
        "action_label": lambda c: words(str(c), ACTIONS),
        "agreement_label": lambda c: words(str(c), AGREEMENT),
        "setup_label": lambda c: words(str(c), SETUP),
        "program_label": program_label,
        "contact_label": lambda c: words(str(c), CONTACT_ROLES),
        "check_label": check_label,
        "day": local_date,
        "when": lambda v: local_time(v, tz),
    }
