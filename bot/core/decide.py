"""decide(organization, message) -> Decision. The CES workflow's rules, pure.

Given a copy of the organization the message belongs to (or None when nobody
could be identified) and everything the earlier stages learned about the message,
return the new organization state, what became of each attached form, whether
the message needs a person, and the mails to send. No I/O, no clock but ``now``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.calendar import BusinessCalendar
from bot.ces.parse import parse_individual_roles, parse_new_user, parse_org_roles, parse_program_type
from bot.ces.rules import IndividualRole, ProgramType, roles_for_program, setup_needed
from bot.core import transitions
from bot.core.identity import FREEMAIL, Identity, Standing, user_may_file
from bot.core.state import ContactState, OrgState, ProgramState, UserState, refresh_access
from bot.core.vocabulary import FORM_KINDS, HOME, LABEL, label
from bot.documents.model import FormResult
from bot.mail.kinds import MessageKind, RosterLine, answers_setup, labelled_value, own_text, program_lines, roster_lines
from bot.mail.message import ParsedMessage
from bot.mail.screen import Screen
from bot.mail.tables import read_table

MIN_CONFIDENCE = 0.75
# Review reasons that the reply explains itself (the receipt says what was not understood).
NOT_UNDERSTOOD = "program setup request: programs not understood"
SETUP_CHANGE = "the Program Manager asks to correct the setup of"
NO_PROGRAM_FOR_ROLE = "roles that no program of the organization supports"
# Defects (bot.mail.unpack) that mean an attachment was refused, not merely unremarkable.
_REFUSED = re.compile(r"refused|inflates past|nested too deep|unreadable \(|not a readable zip|is empty")


@dataclass(frozen=True)
class Inbound:
    mailbox_role: str
    msg: ParsedMessage
    screen: Screen
    kind: MessageKind
    forms: tuple[FormResult, ...]
    now: datetime
    from_staff: str | None = None  # the duty of a LAHSA staff sender, if one
    new_org_name: str | None = None  # the name to found an organization under, if none matched
    standing: Standing = "contact"  # what the sender is to the organization (bot.core.identity)
    unread: tuple[str, ...] = ()  # attachments beyond the per-message limit, not read
    answers_bot: bool = False  # a reply to mail we sent: never told it came to the wrong inbox


@dataclass
class DocOutcome:
    form: FormResult
    status: Literal["accepted", "rejected", "review", "ignored"]
    reason: str | None = None
    user_email: str | None = None


@dataclass
class Mail:
    template: str
    to: list[str]
    context: dict[str, Any]
    key: str  # idempotency suffix: one per (message, purpose)
    reply_to: str | None = None  # the inbox whose step the mail is about, so an answer lands there


@dataclass(frozen=True)
class Event:
    """One line of the audit trail that a decision asks the orchestrator to write."""

    action: str
    detail: dict[str, Any] = field(default_factory=dict)
    user: str | None = None  # the email of the user it is about, if one
    org_id: int | None = None  # when not the message's organization (a training roster spans several)


@dataclass
class Decision:
    org: OrgState | None
    review: list[str] = field(default_factory=list)
    docs: list[DocOutcome] = field(default_factory=list)
    mails: list[Mail] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    received: list[str] = field(default_factory=list)  # what we understood, for the receipt
    wrong_inbox: list[str] = field(default_factory=list)
    newly_ready: list[UserState] = field(default_factory=list)
    held: bool = False  # not decided: the sender may not act for the organization, or the evidence disagrees
    resend: list[str] = field(default_factory=list)  # why the sender must send something again (unopened files)
    others: list[OrgState] = field(default_factory=list)  # further organizations changed (a training roster)
    undeliverable: list[str] = field(default_factory=list)  # addresses a bounce proved dead
    bounced: str | None = None  # the Message-ID of our mail that bounced
    not_understood: list[str] = field(default_factory=list)  # request lines read but not understood
    read_as: MessageKind | None = None  # the kind the organization's state showed the mail to be
    setup_changed: list[str] = field(default_factory=list)  # programs sent back to LAHSA by a dispute
    role_problems: list[str] = field(default_factory=list)  # roles that no program of the organization allows

    @property
    def outcome(self) -> Literal["processed", "review"]:
        return "review" if self.review else "processed"


def decide(org_in: OrgState | None, inbound: Inbound, cal: BusinessCalendar) -> Decision:
    org = copy.deepcopy(org_in)
    d = Decision(org=org)
    if inbound.screen.auto is not None:
        d.events.append(Event("machine_mail", {"kind": inbound.screen.auto, "reason": inbound.screen.reason}))
        known = inbound.standing not in ("stranger", "nobody")
        if inbound.screen.auto == "spam" and (inbound.msg.attachments or known):
            # A known sender's mail, or one with files, may be a false positive: a person looks, nobody is answered.
            d.review.append(f"marked as spam by the mail server ({inbound.screen.reason}); not answered")
        return d
    if not inbound.screen.authenticated:
        d.review.append(f"sender {inbound.msg.from_addr or '(none)'} not authenticated (DMARC {inbound.screen.dmarc})")
        return d
    if org is None and _may_found_org(inbound):
        org = d.org = OrgState(name=inbound.new_org_name or "", domains=_domain_list(inbound.msg.from_domain))
        d.events.append(Event("organization_created", {"name": org.name}))
    elif org is not None and inbound.standing == "claim":
        # An organization nobody held (imported from the implementation list) is claimed by its
        # agreement or setup request from a domain of its own; from now on that domain speaks for it.
        org.domains = [*org.domains, *_domain_list(inbound.msg.from_domain)]
        d.events.append(Event("organization_claimed", {"domain": inbound.msg.from_domain}))
    if inbound.unread:
        names = ", ".join(inbound.unread[:10]) + (f" and {len(inbound.unread) - 10} more" if len(inbound.unread) > 10
                                                  else "")
        d.review.append(f"{len(inbound.unread)} more attachment(s) not read (too many in one message): {names}")
    _apply_forms(org, inbound, d)
    _apply_kind(org, inbound, d)
    refused = [f"attachment not read: {x}" for x in inbound.msg.defects if _REFUSED.search(x)]
    d.review.extend(refused)
    d.resend.extend(refused)
    if org is not None:
        d.newly_ready = refresh_access(org, inbound.now.date(), cal)
        for user in d.newly_ready:
            d.events.append(Event("user_ready", {"email": user.email, "due": str(user.access_due)}, user.email))
    if not d.received and not d.review and inbound.kind.kind == "other":
        d.review.append("a question or a note, not a form or a request handled automatically: "
                        "a person should answer it")
    return d


def _domain_list(domain: str) -> list[str]:
    return [] if not domain or domain in FREEMAIL else [domain]


_BOILERPLATE = re.compile(r"continuum of care|participating|agreement|hereby|\bCoC\b|LAHSA|signature", re.I)


def plausible_org_name(name: str) -> bool:
    """An OCR misread of the form's own words must not found an organization."""
    words = name.split()
    return 2 <= len(name) <= 80 and 1 <= len(words) <= 10 and not _BOILERPLATE.search(name)


def held_for_review(inbound: Inbound, ident: Identity) -> Decision:
    """The sender may not act for the organization the mail is about, or the evidence disagrees.

    Nothing changes; a person looks. The reply (if any) says nothing about the organization.
    """
    d = Decision(org=None, review=[ident.problem or "could not tell who may act for the organization"], held=True)
    d.docs = [DocOutcome(f, "review", "held: " + (ident.problem or "")) for f in inbound.forms if f.is_form]
    d.events.append(Event("held_for_review", {"standing": ident.standing, "via": ident.via}))
    return d


def _may_found_org(inbound: Inbound) -> bool:
    """A new organization starts with its agreement or its setup request, and a name."""
    if inbound.standing != "new":
        return False
    if not inbound.new_org_name or inbound.from_staff or not plausible_org_name(inbound.new_org_name):
        return False
    starts = any(f.kind == "organization_agreement" for f in inbound.forms)
    return starts or inbound.kind.kind == "program_setup_request"


def _check_wrong_inbox(kind: str, inbound: Inbound, d: Decision) -> None:
    home = HOME.get(kind)
    if home and home != inbound.mailbox_role:
        d.wrong_inbox.append(kind)


def _apply_forms(org: OrgState | None, inbound: Inbound, d: Decision) -> None:
    for form in inbound.forms:
        if form.kind not in FORM_KINDS:
            if form.error:
                d.docs.append(DocOutcome(form, "review", f"could not read {form.source}: {form.error}"))
                d.review.append(f"could not read {form.source}")
                d.resend.append(f"{form.source}: the file could not be opened (damaged, cut short or protected)")
            else:
                d.docs.append(DocOutcome(form, "ignored", "not one of the CES forms"))
            continue
        _check_wrong_inbox(form.kind, inbound, d)
        if form.confidence < MIN_CONFIDENCE:
            d.docs.append(DocOutcome(form, "review", f"unsure this is a {form.kind} ({form.confidence:.2f})"))
            d.review.append(f"{form.source}: kind uncertain")
            continue
        if org is None:
            d.docs.append(DocOutcome(form, "review", "could not tell which organization sent it"))
            d.review.append(f"{form.source}: unknown organization")
            continue
        if form.kind == "organization_agreement" and inbound.standing == "user":
            d.docs.append(DocOutcome(form, "review", "only the Executive Director's side sends the agreement"))
            d.review.append(f"{form.source}: Organization Agreement sent by a user, not by the organization's leaders")
            continue
        if form.kind == "organization_agreement":
            d.docs.append(_org_agreement(org, form, inbound, d))
        else:
            d.docs.append(_user_form(org, form, inbound, d))


def _org_agreement(org: OrgState, form: FormResult, inbound: Inbound, d: Decision) -> DocOutcome:
    problems = []
    if form.checks.get("filled") is False:
        problems.append("the form is blank")
    if not form.checks.get("signed", False):
        problems.append("it is not signed in the Executive Director / Authorized Representative section")
    if form.checks.get("coc_section_blank") is False:
        problems.append("the CoC Representative section must be left blank for LAHSA to complete")
    signer = form.fields.get("signer_name", "")
    if signer and not org.contact(inbound.msg.from_addr):
        role = "executive_director" if "director" in form.fields.get("signer_title", "").lower() else "program_manager"
        org.contacts.append(ContactState(email=inbound.msg.from_addr, role=role, name=signer))
    why = "; ".join(problems)
    if (transitions.reject_agreement(org, why, inbound.now) if problems
            else transitions.accept_agreement(org, inbound.now)) is not None:
        d.received.append("Organization Agreement (we already had an accepted one)")
        return DocOutcome(form, "ignored", "agreement already accepted")
    if problems:
        d.received.append("Organization Agreement: NOT accepted, because " + why)
        d.events.append(Event("agreement_rejected", {"reason": why}))
        return DocOutcome(form, "rejected", why)
    d.received.append("Organization Agreement: accepted")
    d.events.append(Event("agreement_accepted", {"signer": signer}))
    return DocOutcome(form, "accepted")


def _find_user(org: OrgState, form: FormResult, sender: str) -> UserState | None:
    email = form.fields.get("email", "").lower()
    if email and (user := org.user(email)):
        return user
    name = " ".join(form.fields.get("user_name", "").lower().split())
    if name:
        for user in org.users:
            if " ".join(user.name.lower().split()) == name:
                return user
    return org.user(sender)


def _user_form(org: OrgState, form: FormResult, inbound: Inbound, d: Decision) -> DocOutcome:
    user = _find_user(org, form, inbound.msg.from_addr)
    if user is not None and not user_may_file(inbound.standing, inbound.msg.from_addr, user.email):
        d.review.append(f"{inbound.msg.from_addr} sent a form for another user ({user.email})")
        return DocOutcome(form, "review", "a user may send only their own forms", user.email)
    if user is None and inbound.standing == "user":
        d.review.append(f"{inbound.msg.from_addr} sent a form for someone not on file")
        return DocOutcome(form, "review", "a user may send only their own forms")
    if user is None:
        email = (form.fields.get("email") or inbound.msg.from_addr).lower()
        user, _ = transitions.user_of(org, email, form.fields.get("user_name") or inbound.msg.from_name)
        d.events.append(Event("user_created", {"email": email, "from": form.kind}, email))
    label = LABEL[form.kind]
    if form.checks.get("filled") is False or not form.checks.get("signed", False):
        why = "it is blank" if form.checks.get("filled") is False else "it is not signed by the user"
        transitions.record_user_form(user, form.kind, accepted=False)
        d.received.append(f"{label} for {user.name or user.email}: NOT accepted, because {why}")
        return DocOutcome(form, "rejected", why, user.email)
    transitions.record_user_form(user, form.kind, accepted=True)
    d.received.append(f"{label} for {user.name or user.email}: accepted")
    d.events.append(Event("form_accepted", {"kind": form.kind, "user": user.email}, user.email))
    return DocOutcome(form, "accepted", None, user.email)


def _apply_kind(org: OrgState | None, inbound: Inbound, d: Decision) -> None:
    kind = inbound.kind.kind
    if kind == "other" and org is not None and inbound.standing == "contact" and _awaiting(org):
        # "Looks good" in a new mail, not in the setup thread: the state says what it answers.
        d.read_as = answers_setup(inbound.msg.body_text)
        kind = d.read_as.kind if d.read_as else kind
    _check_wrong_inbox(kind, inbound, d)
    if kind in ("other", "bounce", "auto_reply", "training_roster"):
        return  # training rosters span organizations: routed to their own decision
    if kind == "account_support":
        d.received.append("your account question (passed to our support staff)")
        d.events.append(Event("support_handoff", {"subject": inbound.msg.subject}))
        return
    if org is None:
        d.review.append(f"{kind}: could not tell which organization sent it")
        return
    if inbound.from_staff == "implementation" and kind in ("program_setup_confirmation", "other"):
        return
    if inbound.standing == "user":
        d.review.append(f"{label(kind).lower()} from {inbound.msg.from_addr}, a user who is not a program manager")
        return
    if (d.read_as or inbound.kind).change:
        _setup_change(org, inbound, d)
        return
    handler = {
        "program_setup_request": _setup_request,
        "program_setup_confirmation": _setup_confirmation,
        "user_roster": _user_roster,
    }[kind]
    handler(org, inbound, d)


def _awaiting(org: OrgState) -> bool:
    return any(p.setup == "awaiting_confirmation" for p in org.programs)


def _ensure_manager(org: OrgState, inbound: Inbound) -> None:
    if not org.contact(inbound.msg.from_addr) and not inbound.from_staff:
        org.contacts.append(
            ContactState(email=inbound.msg.from_addr, role="program_manager", name=inbound.msg.from_name)
        )


def _setup_request(org: OrgState, inbound: Inbound, d: Decision) -> None:
    _ensure_manager(org, inbound)
    text = inbound.msg.body_text
    roles_line = labelled_value(text, "CES roles?", "Organization roles?", "Our roles?", "Roles?") or ""
    for role in sorted(parse_org_roles(roles_line or text)):
        if role.value not in org.ces_roles:
            org.ces_roles.append(role.value)
    added = []
    for line in program_lines(text):
        ptype = parse_program_type(line.type_text) or parse_program_type(line.name)
        if ptype is None:
            d.not_understood.append(line.name if line.type_text == line.name else f"{line.name} ({line.type_text})")
            continue
        existing = org.program(line.name)
        setup = "requested" if setup_needed(ptype) else "not_needed"
        if existing is None:
            org.programs.append(
                ProgramState(line.name, ptype.value, setup, inbound.msg.message_id, inbound.now)
            )
        elif existing.setup == "confirmed" and setup == "requested":
            existing.setup, existing.thread_id = "requested", inbound.msg.message_id  # a modification
        added.append(f"{line.name} ({ptype.label})")
    if d.not_understood:
        d.review.append(f"{NOT_UNDERSTOOD}: " + "; ".join(d.not_understood))
    if not added:
        if not d.not_understood:
            d.review.append("setup request names no program with a type we recognise")
        return
    d.received.append("program setup request for: " + "; ".join(added))
    d.events.append(Event("setup_requested", {"programs": added}))


def _setup_confirmation(org: OrgState, inbound: Inbound, d: Decision) -> None:
    waiting = [p for p in org.programs if p.setup == "awaiting_confirmation"]
    if not waiting:
        d.review.append("setup confirmed, but no program is awaiting confirmation")
        return
    for program in waiting:
        program.setup, program.confirmed_at = "confirmed", inbound.now
    d.received.append("your confirmation of the setup of: " + ", ".join(p.name for p in waiting))
    d.events.append(Event("setup_confirmed", {"programs": [p.name for p in waiting]}))


def _setup_change(org: OrgState, inbound: Inbound, d: Decision) -> None:
    """The Program Manager says the setup is wrong: it goes back to LAHSA, with their words, for a person.

    Reminders then stop asking the manager to confirm: the next step is LAHSA's (correct it and
    write again), and it is chased as LAHSA's overdue setup.
    """
    waiting = [p for p in org.programs if p.setup == "awaiting_confirmation"]
    for program in waiting:
        program.setup = "in_setup"
    d.setup_changed = [p.name for p in waiting]
    words = " ".join(own_text(inbound.msg.body_text).split())[:600]
    d.review.append(f"{SETUP_CHANGE}: {', '.join(d.setup_changed) or 'no program was awaiting confirmation'}: "
                    f"\"{words}\"")
    d.events.append(Event("setup_disputed", {"programs": d.setup_changed}))


def _table_lines(inbound: Inbound) -> list[RosterLine]:
    """Roster rows from CSV / XLSX attachments, in the shape of body lines."""
    out = []
    for att in inbound.msg.attachments:
        if att.filename.lower().endswith((".csv", ".tsv", ".xlsx")):
            for row in read_table(att.filename, att.data):
                email = row.get("email", "").strip().lower()
                if "@" in email:
                    # The new/existing cell alone is the whole text, as parse_new_user wants it.
                    new = row.get("new", "").strip()
                    rest = row.get("role", "") + (f", {new} user" if new and "user" not in new.lower() else f", {new}")
                    out.append(RosterLine(row.get("name", ""), email, rest))
    return out


def _user_roster(org: OrgState, inbound: Inbound, d: Decision) -> None:
    _ensure_manager(org, inbound)
    listed = []
    for line in [*roster_lines(inbound.msg.body_text), *_table_lines(inbound)]:
        roles = sorted(r.value for r in parse_individual_roles(line.rest))
        if not roles:
            continue
        user = org.user(line.email)
        if user is None:
            user = UserState(email=line.email, name=line.name)
            org.users.append(user)
        user.name = user.name or line.name
        user.roles = sorted(set(user.roles) | set(roles))
        is_new = parse_new_user(line.rest)
        if is_new is not None:
            user.new_user = is_new
        labels = ", ".join(IndividualRole(r).label for r in roles)
        listed.append(f"{user.name or user.email} ({labels})")
        d.role_problems.extend(_roles_without_program(org, user.name or user.email, roles))
    if not listed:
        d.review.append("user list with no line we could read")
        return
    if d.role_problems:
        d.review.append(f"{NO_PROGRAM_FOR_ROLE}: " + "; ".join(d.role_problems))
    d.received.append("users for training: " + "; ".join(listed))
    d.events.append(Event("roster", {"users": listed}))


def _roles_without_program(org: OrgState, who: str, roles: list[str]) -> list[str]:
    """Roles that none of the organization's programs supports (seed 3.1 table: e.g. Assessment Only)."""
    if not org.programs:
        return []  # no program named yet: the missing setup request is said elsewhere
    allowed = frozenset().union(*(roles_for_program(ProgramType(p.type)) for p in org.programs
                                  if p.type in ProgramType._value2member_map_))
    return [f"{who}: {IndividualRole(r).label}" for r in roles if IndividualRole(r) not in allowed]
