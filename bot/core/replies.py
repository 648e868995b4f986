"""Which mails a decision sends, and what they say. Pure.

At most one automatic reply per inbound message, to the sender, threaded to it,
naming what was received and exactly what is still missing: for that sender, and
for a program manager, for the whole organization. Staff hand-offs (a user whose
access is now due, an account question) go to the duty's address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.ces.rules import hmis_role, permissions_lacking
from bot.core.decide import NO_PROGRAM_FOR_ROLE, NOT_UNDERSTOOD, SETUP_CHANGE, Decision, Inbound, Mail
from bot.core.nextstep import resend_step, steps_for
from bot.core.state import OrgState, UserState
from bot.core.text import local_date, quoted
from bot.core.vocabulary import HOME as HOME_ROLE
from bot.core.vocabulary import KINDS, LABEL
from bot.documents.detect import may_be_a_form
from bot.mail.kinds import own_text
from bot.mail.message import ParsedMessage


def _user_lines(org: OrgState, users: list[UserState]) -> list[dict[str, Any]]:
    # "Steps 1 and 2 are not complete" is said once for the organization, never under every user.
    return [
        {"name": u.name or u.email, "email": u.email,
         "missing": [m.text for m in org.user_missing(u) if m.code != "org_steps"]}
        for u in users
    ]


def missing_context(org: OrgState | None, sender: str, home: Mapping[str, str] | None = None,
                    links: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """What the sender still has to do, and the next steps; a manager sees the whole organization.

    Only the organization's Executive Director and program managers (its contacts) see other
    users' names and status; a user sees their own line; anyone else sees nothing of it.
    """
    if org is None:
        return {"org_name": "", "org_missing": [], "users": [], "is_manager": False, "ready_for_step3": False,
                "next_steps": []}
    is_manager = org.contact(sender) is not None
    users = org.users if is_manager else [u for u in org.users if u.email == sender]
    codes = [m.code for m in org.org_missing()] + [m.code for u in users for m in org.user_missing(u)]
    no_users = is_manager and org.ready_for_step3 and not org.users
    new_user = any(u.new_user for u in users)
    return {
        "org_name": org.name,
        "org_missing": [m.text for m in org.org_missing()],
        "users": _user_lines(org, users),
        "is_manager": is_manager,
        "ready_for_step3": org.ready_for_step3,
        "no_users": no_users,
        "next_steps": [s.as_dict() for s in steps_for(codes, home or {}, links or {}, new_user=new_user,
                                                       no_users=no_users)],
    }


def _base(msg: ParsedMessage) -> dict[str, Any]:
    return {"sender_name": quoted(msg.from_name, 60) or msg.from_addr, "subject": quoted(msg.subject) or "(no subject)"}


_CES_KINDS = {"program_setup_request", "program_setup_confirmation", "user_roster", "training_roster",
              "account_support"}
_UNKNOWN_ORG = "could not tell which organization"
# Words of the process itself: enough to answer a stranger's question.
_CES_NAMES = re.compile(r"\b(hmis|ces|coordinated entry|lahsa)\b", re.I)
# With files attached, the everyday words of sending a form are enough too.
_FORM_WORDS = re.compile(r"\b(agreement|acknowledge?ment|forms?|signed|scan(ned)?|program setup|training)\b", re.I)


def about_ces(inbound: Inbound, files_refused: bool = False) -> bool:
    """Mail about the CES process: a form, a setup request, a roster, an account question, a question
    that names HMIS / CES / LAHSA, or files sent with the words of sending a form. A stranger's
    other mail (newsletters, offers, list posts) is not answered."""
    if any(f.is_form for f in inbound.forms) or inbound.kind.kind in _CES_KINDS:
        return True
    words = f"{inbound.msg.subject}\n{own_text(inbound.msg.body_text)[:4000]}"
    if _CES_NAMES.search(words):
        return True
    files = files_refused or any(may_be_a_form(a.filename, a.data) for a in inbound.msg.attachments)
    return files and bool(_FORM_WORDS.search(words))


_EXPLAINED = (NOT_UNDERSTOOD, NO_PROGRAM_FOR_ROLE)


def situation(decision: Decision, inbound: Inbound) -> str | None:
    """Which one reply this message gets (a template name), or None: no reply at all.

    A sender who is neither a contact nor at an organization's domain is answered only when
    the mail is about the CES process (a form, a setup request, a roster, an HMIS account
    question): a public agency's inbox receives newsletters and spam every day, and answering
    them is backscatter that also teaches spammers the address is read.
    """
    kind = (decision.read_as or inbound.kind).kind
    known = inbound.standing not in ("stranger", "nobody")
    if not known and not about_ces(inbound, bool(decision.resend)):
        return None
    if decision.held:
        return "held"
    if any(d.status == "rejected" for d in decision.docs):
        return "not_accepted"
    if decision.resend:
        return "resend"
    if any(_UNKNOWN_ORG in r for r in decision.review) or any(_UNKNOWN_ORG in (d.reason or "") for d in decision.docs):
        return "unknown_org"
    if any(r.startswith(SETUP_CHANGE) for r in decision.review):
        return "setup_change"
    # What the receipt itself explains (programs not understood, roles no program allows) needs no other reply.
    unexplained = [r for r in decision.review if not r.startswith(_EXPLAINED)]
    if unexplained and kind in ("program_setup_confirmation", "program_setup_request") and not decision.received:
        return "setup_answer"
    if not decision.received:
        return "question" if not decision.docs else "unreadable"
    if unexplained:
        return "unreadable"
    if decision.wrong_inbox and not inbound.answers_bot:
        return "wrong_inbox"
    if decision.org is not None and not decision.org.ready_for_step3 and _touches_users(decision):
        return "not_ready"
    return "receipt"


def _step_role(decision: Decision, inbound: Inbound, template: str) -> str:
    """The inbox whose step the reply is about: its address goes in Reply-To."""
    kinds = [d.form.kind for d in decision.docs if d.status in ("rejected", "accepted")]
    kind = (decision.read_as or inbound.kind).kind
    kinds += [kind] if kind in HOME_ROLE else []
    if template in ("not_accepted", "wrong_inbox", "receipt", "not_ready", "setup_change") and kinds:
        return HOME_ROLE.get(kinds[0], inbound.mailbox_role)
    return inbound.mailbox_role


def headline(decision: Decision, template: str) -> str:
    """What happened, in a few words: the subject line of a receipt, a rejection or a wrong-inbox reply."""
    rejected = [d for d in decision.docs if d.status == "rejected"]
    if rejected:
        return quoted(rejected[0].reason or "the form could not be accepted", 100)
    accepted = [LABEL.get(d.form.kind, d.form.kind) for d in decision.docs if d.status == "accepted"]
    if accepted:
        org = f" for {decision.org.name}" if decision.org is not None and decision.org.name else ""
        return quoted("Accepted: " + ", ".join(dict.fromkeys(accepted)) + org, 110)
    return quoted("Received: " + decision.received[0], 110) if decision.received else ""


def reply_for(decision: Decision, inbound: Inbound, home: dict[str, str],
              links: Mapping[str, str | None] | None = None) -> Mail | None:
    """The one reply to the sender, or None (machine mail, unverified, staff, or not ours to answer)."""
    msg = inbound.msg
    if not inbound.screen.may_reply or not msg.from_addr or inbound.from_staff:
        return None
    template = situation(decision, inbound)
    if template is None:
        return None
    org = None if template == "held" else decision.org
    ctx = _base(msg) | missing_context(org, msg.from_addr, home, links)
    ctx["received"] = decision.received
    ctx["review"] = [] if template == "held" else decision.resend if template == "resend" else decision.review
    ctx["headline"] = headline(decision, template)
    ctx["inbox"] = home.get(inbound.mailbox_role, "")
    ctx["files"] = [quoted(d.form.source, 80) for d in decision.docs if d.status in ("review", "rejected")]
    rejected = next((d for d in decision.docs if d.status == "rejected"), None)
    ctx["resend"] = resend_step(rejected.form.kind, home, links or {}).as_dict() if rejected else None
    ctx["not_understood"] = [quoted(x, 100) for x in decision.not_understood]
    ctx["role_problems"] = [quoted(x, 100) for x in decision.role_problems]
    ctx["setup_changed"] = decision.setup_changed
    ctx["wrong_inbox"] = [{"what": KINDS[k].plural if k in KINDS else k, "address": home.get(HOME_ROLE[k], "")}
                          for k in dict.fromkeys(decision.wrong_inbox) if k in HOME_ROLE]
    reply_to = home.get(_step_role(decision, inbound, template))
    return Mail(template, [reply_address(msg)], ctx, "reply", reply_to=reply_to)


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
        "due": local_date(user.access_due),  # "Tue Dec 8, 2026": staff read dates, not ISO stamps
    }

