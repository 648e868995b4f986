"""Wording of the specimen forms and look-alikes (paraphrased, not LAHSA's text)."""

from __future__ import annotations

ORG_TERMS = [
    "The Participating Organization shall designate an Agency Administrator who is responsible for "
    "HMIS users, training and compliance at the organization.",
    "The Participating Organization shall collect and enter client data into HMIS in a timely and "
    "accurate manner, following the HMIS Data Quality Plan of the Continuum of Care.",
    "Client information is confidential. The organization shall obtain client consent before "
    "sharing personal information and shall post the HMIS Privacy Notice at each intake desk.",
    "Each user shall complete the required HMIS trainings and sign the HMIS User Agreement before "
    "receiving access. User accounts shall not be shared.",
    "The organization shall notify LAHSA within one business day when a user leaves the organization "
    "or no longer needs access to HMIS.",
    "The organization shall protect workstations used to access HMIS with locking screen savers, "
    "current virus protection and a secure network connection.",
    "LAHSA, as HMIS Lead, shall provide the HMIS software, training, technical assistance and "
    "user support to the Participating Organization.",
    "The organization shall participate in the Coordinated Entry System (CES) and use HMIS to record "
    "assessments, referrals and housing placements.",
    "Either party may terminate this Agreement with thirty days written notice. LAHSA may suspend "
    "access when this Agreement or the HMIS Policies and Procedures are violated.",
    "This Agreement remains in effect until terminated and is governed by the laws of the State of "
    "California.",
]

USER_TERMS = [
    "My User ID and password are for my use only and will not be shared with anyone.",
    "I will take all reasonable means to keep my password physically secure.",
    "I will only view, obtain, disclose or use client information necessary to perform my job.",
    "I will log off HMIS or lock my workstation before leaving it unattended.",
    "Printed information from HMIS will be kept in a secure place and shredded when no longer needed.",
    "I will not enter information into HMIS that I know to be false or misleading.",
    "I understand that clients have the right to refuse to share information and may not be denied "
    "services for refusing.",
    "I will report any security or confidentiality breach to my Agency Administrator and to LAHSA.",
    "I understand that a violation of this agreement may result in termination of my HMIS access.",
    "Discriminatory comments based on race, color, religion, national origin, disability, age, "
    "gender or sexual orientation are not permitted in HMIS.",
    "I understand that my access is monitored and that LAHSA may audit my use of HMIS at any time.",
]

HMIS10_TERMS = [
    "I attended the full HMIS 10 session and understand the purpose of HMIS in the Los Angeles CoC.",
    "I understand the client consent and privacy requirements presented in HMIS 10.",
    "I know how to request help from HMISsupport@lahsa.org and where to find the HMIS Policies.",
    "I understand that I must also complete my role-specific training before access is granted.",
    "I understand that HMIS data about clients is confidential and must be protected at all times.",
]

W9_TEXT = [
    "(Rev. March 2024) Department of the Treasury - Internal Revenue Service",
    "Name of entity/individual. An entry is required. Business name/disregarded entity name, if "
    "different from above. Check the appropriate box for federal tax classification.",
    "Part I Taxpayer Identification Number (TIN). Enter your TIN in the appropriate box. The TIN "
    "provided must match the name given on line 1 to avoid backup withholding.",
    "Part II Certification. Under penalties of perjury, I certify that the number shown on this form "
    "is my correct taxpayer identification number.",
]

FLYER = [
    "HMIS Training Calendar - Los Angeles Homeless Services Authority",
    "HMIS 10 Webinar (new users, 3 hours): every Tuesday at 9:00 AM. HMIS 509 full class: "
    "Thursdays. HMIS 102 Outreach: first Monday of the month.",
    "Before your account is created, send your signed User Agreement and, after HMIS 10, your "
    "HMIS 10 Acknowledgement Form to HMISsupport@lahsa.org. Your Executive Director signs the "
    "Organization Agreement once for the whole organization.",
    "Questions? Write to LAHSA.Training@lahsa.org. Seats are limited: register early!",
]

OTHER_CONFIDENTIALITY = [
    "Employee Confidentiality and Data Use Agreement",
    "As an employee or volunteer I agree to keep confidential all client information, including "
    "information stored in our case management database and in HMIS, and to use my user ID and "
    "password only for my own work.",
    "I will not disclose client records without written consent, except as required by law. I will "
    "report any breach of confidentiality to my supervisor immediately.",
    "I understand that a violation of this agreement may result in disciplinary action, up to and "
    "including termination of employment.",
]
