"""Which mails a decision sends, and what they say. Pure.

At most one automatic reply per inbound message, to the sender, threaded to it,
naming what was received and exactly what is still missing: for that sender, and
for a program manager, for the whole organization. Staff hand-offs (a user whose
access is now due, an account question) go to the duty's address.
"""

from __future__ import annotations

from typing import Any

from bot.ces.rules import hmis_role, permissions_lacking
from bot.core.text import quoted
from bot.mail.message import ParsedMessage
from bot.workflow.decide import HOME as HOME_ROLE
from bot.workflow.decide import Decision, Inbound, Mail
from bot.workflow.state import OrgState, UserState

INBOX_LABEL = {
    "training": "LAHSA.Training@lahsa.org",
    "support": "HMISsupport@lahsa.org",
    "join": "JoinHMIS@lahsa.org",
}
KIND_LABEL = {
    "organization_agreement": "the Organization Agreement",
    "user_agreement": "User Agreements",
    "hmis10_acknowledgement": "HMIS 10 Acknowledgement Forms",
    "program_setup_request": "program setup requests",
    "program_setup_confirmation": "program setup confirmations",
    "training_roster": "training rosters",
    "account_support": "account and password questions",
}


def _user_lines(org: OrgState, users: list[UserState]) -> list[dict[str, Any]]:
    return [
        {"name": u.name or u.email, "email": u.email, "missing": [m.text for m in org.user_missing(u)]}
        for u in users
    ]


def missing_context(org: OrgState | None, sender: str) -> dict[str, Any]:
    """What the sender still has to do; a manager sees the whole organization."""
    if org is None:
        return {"org_name": "", "org_missing": [], "users": [], "is_manager": False, "ready_for_step3": False}
    is_manager = org.contact(sender) is not None
    users = org.users if is_manager else [u for u in org.users if u.email == sender]
    return {
        "org_name": org.name,
        "org_missing": [m.text for m in org.org_missing()],
        "users": _user_lines(org, users),
        "is_manager": is_manager,
        "ready_for_step3": org.ready_for_step3,
    }


def _base(msg: ParsedMessage) -> dict[str, Any]:
    return {"sender_name": quoted(msg.from_name, 60) or msg.from_addr, "subject": quoted(msg.subject) or "(no subject)"}


def reply_for(decision: Decision, inbound: Inbound, home: dict[str, str]) -> Mail | None:
    """The one reply to the sender, or None (machine mail, unverified, nothing to say)."""
    msg = inbound.msg
    if not inbound.screen.may_reply or not msg.from_addr or inbound.from_staff:
        return None
    ctx = _base(msg) | missing_context(decision.org, msg.from_addr)
    ctx["received"] = decision.received
    ctx["review"] = decision.review
    ctx["wrong_inbox"] = [{"what": KIND_LABEL.get(k, k), "address": home.get(HOME_ROLE[k], "")}
                          for k in dict.fromkeys(decision.wrong_inbox) if k in HOME_ROLE]
    if decision.held:
        template = "held"
    elif not decision.received:
        template = "unreadable"
    elif ctx["wrong_inbox"]:
        template = "wrong_inbox"
    elif decision.org is not None and not decision.org.ready_for_step3 and _touches_users(decision):
        template = "not_ready"
    else:
        template = "receipt"
    return Mail(template, [reply_address(msg)], ctx, "reply")


def reply_address(msg: ParsedMessage) -> str:
    """Replies go to the authenticated sender; a Reply-To counts only at the sender's own domain.

    Anyone can write any Reply-To: honouring it would let a stranger make LAHSA's address
    mail a third party (backscatter, or phishing under LAHSA's name).
    """
    reply_to = (msg.reply_to or "").lower()
    if reply_to and msg.from_domain and reply_to.rpartition("@")[2] == msg.from_domain:
        return reply_to
    return msg.from_addr


def _touches_users(decision: Decision) -> bool:
    return any(d.user_email for d in decision.docs) or any("users for training" in r for r in decision.received)


def handoffs(decision: Decision, inbound: Inbound, access_duty: str) -> list[Mail]:
    """Mails to LAHSA staff that this message makes due."""
    mails = []
    org = decision.org
    for user in decision.newly_ready:
        assert org is not None
        mails.append(Mail("handoff", [access_duty], handoff_context(org, user), f"handoff:{user.email}"))
    if inbound.kind.kind == "account_support" and inbound.screen.may_reply:
        ctx = _base(inbound.msg) | {"sender": inbound.msg.from_addr, "body": inbound.msg.body_text[:2000]}
        mails.append(Mail("support_handoff", [access_duty], ctx, "support"))
    return mails


def handoff_context(org: OrgState, user: UserState) -> dict[str, Any]:
    roles = user.role_enums()
    return {
        "org_name": org.name,
        "user_name": user.name or user.email,
        "user_email": user.email,
        "roles": [r.label for r in roles],
        "hmis_role": hmis_role(roles).value,
        "lacking": sorted(p.label for p in permissions_lacking(roles)),
        "due": user.access_due.isoformat() if user.access_due else "",
    }

