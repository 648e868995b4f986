"""Body text of the three forms and their look-alikes, written for this corpus.

Owns prose only: agreement clauses, user responsibilities, code-of-ethics items, HMIS 10 topics.
Layouts pick, order and number these; nothing here is copied from a real LAHSA form.
"""

from __future__ import annotations

ORG_CLAUSES: list[tuple[str, str]] = [
    ("Purpose.", "The Homeless Management Information System (HMIS) is the shared database used by the Los "
     "Angeles Continuum of Care (CoC) to record services to persons experiencing homelessness and to support the "
     "Coordinated Entry System (CES). This Agreement sets out the terms under which the Participating "
     "Organization may use HMIS."),
    ("Client Privacy.", "The Organization shall collect, use and disclose client information only as permitted by "
     "the HMIS Privacy Notice, applicable law, and the written consent of the client where consent is required. "
     "No client shall be denied services for declining to share information in HMIS."),
    ("Confidentiality.", "The Organization shall treat all HMIS data as confidential and shall ensure that its "
     "staff, volunteers and contractors with access to HMIS receive privacy and security training before being "
     "issued credentials."),
    ("Data Quality.", "The Organization agrees to enter complete, accurate and timely data, including the "
     "universal data elements, within the time frames set by the CoC, and to correct errors identified in data "
     "quality reports."),
    ("User Access.", "The Organization shall designate an Agency Administrator, request user accounts only for "
     "staff whose duties require access, and notify the HMIS Lead within one business day when a user leaves "
     "or no longer needs access."),
    ("Security.", "Workstations used to access HMIS shall be protected by locking screen savers, current "
     "anti-virus software and a firewall. Passwords shall not be shared, written down where others may see them, "
     "or stored in a browser."),
    ("Coordinated Entry.", "Where the Organization participates in CES, it agrees to use the CES tools in HMIS for "
     "surveys, matching and referrals in accordance with the CES policies adopted by the CoC."),
    ("Ownership of Data.", "The Organization retains ownership of the client data it enters. The HMIS Lead may use "
     "de-identified data for system-wide reporting, planning and evaluation."),
    ("Reporting.", "The Organization shall generate and review the reports required by its funders and by the CoC, "
     "and shall cooperate with the HMIS Lead in monitoring of compliance with this Agreement."),
    ("Breach.", "The Organization shall report any suspected breach of client confidentiality or system security "
     "to the HMIS Lead within twenty-four hours of discovery."),
    ("Term and Termination.", "This Agreement remains in effect until terminated by either party with thirty "
     "days' written notice. The HMIS Lead may suspend access immediately in the event of a violation."),
    ("Amendments.", "The HMIS Policies and Procedures may be revised by the CoC; the Organization agrees to comply "
     "with revisions once notified in writing."),
    ("Indemnification.", "Each party is responsible for the acts and omissions of its own employees and agents in "
     "connection with the use of HMIS."),
]

ORG_INTRO = ("This Agreement is entered into between the Los Angeles Homeless Services Authority (LAHSA), as the "
             "HMIS Lead for the Los Angeles Continuum of Care, and the organization named below.")
ORG_SIGN_NOTE = ("The Executive Director or Authorized Representative signs below. The CoC Representative section is "
                 "completed by LAHSA only.")

USER_CLAUSES: list[str] = [
    "I will keep my User ID and password confidential and will not share them with anyone, including my supervisor.",
    "I will access HMIS only from a secure location and will log off or lock my workstation whenever I step away.",
    "I will view, enter or change client information only as my job duties require.",
    "I will not enter client information into HMIS without the client's informed consent where consent is "
    "required, and I will explain the HMIS Privacy Notice to clients on request.",
    "I will not print, download or e-mail client-identifying information except as authorized, and will store and "
    "destroy any printed records securely.",
    "I will enter data that is accurate and complete to the best of my knowledge, and will correct errors promptly.",
    "I will report any suspected security or privacy breach to my Agency Administrator and to HMIS Support "
    "immediately.",
    "I understand that my use of HMIS may be audited and that violation of this agreement may result in loss of "
    "access and disciplinary action.",
    "I will not use HMIS for any purpose unrelated to the services my agency provides.",
    "I understand that my account will be deactivated if I do not log in for an extended period or when I leave my "
    "agency.",
]

ETHICS: list[str] = [
    "Users must treat partner agencies with respect, fairness and good faith.",
    "Users must not misrepresent their clients in the HMIS database by entering known, inaccurate information.",
    "Users must maintain high standards of professional conduct in their capacity as HMIS users.",
    "Discriminatory comments based on race, color, religion, national origin, ancestry, disability, age, sex, "
    "gender identity or sexual orientation are not permitted in HMIS.",
    "Offensive language and profanity are not permitted in HMIS.",
    "Users shall not use HMIS to defraud any governmental or private funding source.",
    "Users shall not share client information with anyone who is not authorized to receive it.",
]

USER_CHECKS: list[str] = [
    "I have read and understand the HMIS Policies and Procedures and the Privacy Notice.",
    "I have completed the training required for my HMIS role.",
    "I understand that HMIS is a shared system and that other agencies may see data I enter.",
    "I agree to keep my password secure and to change it when required.",
    "I agree to follow the User Responsibility Statement and Code of Ethics.",
]

HMIS10_BODY: list[str] = [
    "By signing this form I acknowledge that I attended HMIS 10, the introductory training required of all new "
    "HMIS users in the Los Angeles Continuum of Care, and that I understood the material presented.",
    "I understand that I will not receive HMIS access until I have completed the trainings required for my role "
    "and returned all required forms to HMIS Support.",
    "I understand the client consent and privacy requirements covered in the training and agree to follow them "
    "whenever I collect or enter client information.",
    "I understand that the training materials are available in the HMIS Document Library and that I may contact "
    "HMIS Support with questions.",
    "I acknowledge that misuse of HMIS may result in the suspension of my account.",
]

HMIS10_TOPICS: list[str] = [
    "What HMIS is and who uses it", "Client consent and the Privacy Notice", "Data security and passwords",
    "Universal data elements and data quality", "Coordinated Entry System overview", "Where to get help",
]


def numbered(items: list[str], style: str = "1.") -> list[str]:
    """Prefix items as ``1.``, ``(a)`` or ``i.`` style markers."""
    out = []
    for i, item in enumerate(items):
        if style == "(a)":
            mark = f"({chr(97 + i)})"
        elif style == "i.":
            mark = ["i.", "ii.", "iii.", "iv.", "v.", "vi.", "vii.", "viii.", "ix.", "x.", "xi.", "xii.", "xiii."][i]
        else:
            mark = f"{i + 1}."
        out.append(f"{mark} {item}")
    return out
