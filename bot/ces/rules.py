"""The CES participation rules (PROCESS.md and LAHSA's seed procedures) as data and pure functions.

Owns: the vocabularies (individual roles, organization roles, program types, permissions,
trainings, HMIS roles, forms, agreement and setup states), the seed's two tables, and the
gates that say what an organization or a user still lacks before HMIS access is due.
No I/O and no clock: everything a decision needs is passed in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class IndividualRole(StrEnum):
    """A user's role in CES; declared from least to most access, as the seed lists them."""

    HOUSING_PROVIDER = "housing_provider"
    ASSESSMENT_ONLY = "assessment_only"
    HOUSING_NAVIGATOR = "housing_navigator"
    OUTREACH = "outreach"
    COMMUNITY_COORDINATOR = "community_coordinator"
    COMMUNITY_MATCHER = "community_matcher"

    @property
    def label(self) -> str:
        return _INDIVIDUAL_LABELS[self]


class ProgramType(StrEnum):
    ASSESSMENT_ONLY = "assessment_only"
    ACCESS_CENTER = "access_center"
    OUTREACH = "outreach"
    SHELTER = "emergency_shelter_transitional_housing"
    PERMANENT_HOUSING = "permanent_housing"

    @property
    def label(self) -> str:
        return _PROGRAM_LABELS[self]


class OrgRole(StrEnum):
    ASSESSMENT_ONLY = "assessment_only"
    HOUSING_NAVIGATION = "housing_navigation"
    HOUSING_PROVIDER = "housing_provider"

    @property
    def label(self) -> str:
        return _ORG_ROLE_TEXT[self][0]

    @property
    def description(self) -> str:
        return _ORG_ROLE_TEXT[self][1]


class Permission(StrEnum):
    ENTER_CES_SURVEY = "enter_ces_survey"
    PROVIDE_HOUSING_NAVIGATION = "provide_housing_navigation_services"
    PROVIDE_CASE_MANAGEMENT = "provide_case_management_services"
    VIEW_CLIENT_PRIORITIZATION_LIST = "view_client_prioritization_list"
    VIEW_HOUSING_RESOURCE_LIST = "view_housing_resource_list"
    MANAGE_CLIENT_PRIORITIZATION_LIST = "manage_client_prioritization_list"
    MANAGE_HOUSING_RESOURCE_LIST = "manage_housing_resource_list"
    ENTER_VACANCY_FORM = "enter_vacancy_form"
    PROVIDE_SERVICES_PRIOR_TO_CES_SURVEY = "provide_services_prior_to_ces_survey"

    @property
    def label(self) -> str:
        return _PERMISSION_LABELS[self]


class Training(StrEnum):
    """Declared in the order staff schedule them; sorting by this order keeps output stable."""

    HMIS_10 = "HMIS 10"
    HMIS_509_HALF = "HMIS 509 first half"
    HMIS_509_FULL = "HMIS 509"
    HMIS_102 = "HMIS 102"
    HMIS_510 = "HMIS 510"
    HMIS_511 = "HMIS 511"

    @property
    def label(self) -> str:
        return _TRAINING_LABELS[self]


class HmisRole(StrEnum):
    HOUSING_PROVIDER = "CES_Housing_Provider"
    ASSESSMENTS = "CES_Assessments"
    STANDARD = "CES_Standard"
    OUTREACH = "CES_Outreach"
    COORDINATOR = "CES_Coordinator"
    MATCHER = "CES_Matcher"


class Form(StrEnum):
    ORGANIZATION_AGREEMENT = "organization_agreement"
    USER_AGREEMENT = "user_agreement"
    HMIS10_ACKNOWLEDGEMENT = "hmis10_acknowledgement"


ROLE_ORDER: tuple[IndividualRole, ...] = tuple(IndividualRole)

# Display labels, in each enum's declaration order (strict zip: a missing label fails at import).
_INDIVIDUAL_LABELS = dict(zip(IndividualRole, (
    "Housing Provider", "Assessment Only", "Housing Navigator/Case Manager", "Outreach",
    "Community Coordinator", "Community Matcher"), strict=True))
_PROGRAM_LABELS = dict(zip(ProgramType, (
    "Assessment Only", "Access Center and/or other supportive services", "Outreach",
    "Emergency Shelter or Transitional Housing", "Permanent Housing"), strict=True))
_ORG_ROLE_TEXT = {
    OrgRole.ASSESSMENT_ONLY: (
        "Assessment Only", "Organization has staff that surveys clients with no other services provided"),
    OrgRole.HOUSING_NAVIGATION: (
        "Housing Navigation/Case Management",
        "Organization has staff that surveys clients and provides housing navigation services"),
    OrgRole.HOUSING_PROVIDER: (
        "Housing Provider",
        "Organization has staff that completes housing vacancy forms and manages housing resources"),
}
_PERMISSION_LABELS = dict(zip(Permission, (
    "Enter CES Survey", "Provide Housing Navigation Services", "Provide Case Management Services",
    "View Client Prioritization List", "View Housing Resource List", "Manage Client Prioritization List",
    "Manage Housing Resource List", "Enter Vacancy Form", "Provide Services prior to CES Survey",
), strict=True))
_TRAINING_LABELS = dict(zip(Training, (
    "HMIS 10 Webinar (3 hours)", "HMIS 509 first half (3 hours)", "HMIS 509 full class (7 hours)",
    "HMIS 102 (3 hours)", "HMIS 510 Webinar", "HMIS 511 Webinar (1 hour)"), strict=True))


def setup_needed(program_type: ProgramType) -> bool:
    """Seed step 2.4: only Permanent Housing programs need no setup modification for CES."""
    return program_type is not ProgramType.PERMANENT_HOUSING


_P = Permission
_SURVEY_AND_SERVICES = frozenset({
    _P.ENTER_CES_SURVEY, _P.PROVIDE_HOUSING_NAVIGATION, _P.PROVIDE_CASE_MANAGEMENT,
    _P.VIEW_CLIENT_PRIORITIZATION_LIST, _P.VIEW_HOUSING_RESOURCE_LIST,
})
_COMMUNITY = _SURVEY_AND_SERVICES | {
    _P.MANAGE_CLIENT_PRIORITIZATION_LIST, _P.MANAGE_HOUSING_RESOURCE_LIST, _P.ENTER_VACANCY_FORM,
}
# The seed's "ROLE ACCESS" table, column by column.
PERMISSIONS: Mapping[IndividualRole, frozenset[Permission]] = MappingProxyType({
    IndividualRole.HOUSING_PROVIDER: frozenset({
        _P.VIEW_HOUSING_RESOURCE_LIST, _P.MANAGE_HOUSING_RESOURCE_LIST, _P.ENTER_VACANCY_FORM}),
    IndividualRole.ASSESSMENT_ONLY: frozenset({_P.ENTER_CES_SURVEY}),
    IndividualRole.HOUSING_NAVIGATOR: _SURVEY_AND_SERVICES,
    IndividualRole.OUTREACH: _SURVEY_AND_SERVICES | {_P.PROVIDE_SERVICES_PRIOR_TO_CES_SURVEY},
    IndividualRole.COMMUNITY_COORDINATOR: _COMMUNITY,
    IndividualRole.COMMUNITY_MATCHER: _COMMUNITY,
})


@dataclass(frozen=True)
class TrainingRow:
    """One row of the seed's trainings table. program_types None means 'Any Program Type'."""

    program_types: frozenset[ProgramType] | None
    trainings: frozenset[Training]
    new_user_trainings: frozenset[Training]
    hmis_role: HmisRole


_NEW = frozenset({Training.HMIS_10})
_T = Training
# Housing Provider's row lists only HMIS 511 (no "HMIS 10 if new user"), so we follow the table
# literally: a new user who is only a Housing Provider is not sent to HMIS 10.
TRAINING_TABLE: Mapping[IndividualRole, TrainingRow] = MappingProxyType({
    IndividualRole.HOUSING_PROVIDER: TrainingRow(
        frozenset({ProgramType.PERMANENT_HOUSING}), frozenset({_T.HMIS_511}), frozenset(),
        HmisRole.HOUSING_PROVIDER),
    IndividualRole.ASSESSMENT_ONLY: TrainingRow(
        frozenset({ProgramType.ASSESSMENT_ONLY}), frozenset({_T.HMIS_509_HALF}), _NEW, HmisRole.ASSESSMENTS),
    IndividualRole.HOUSING_NAVIGATOR: TrainingRow(
        frozenset({ProgramType.ACCESS_CENTER, ProgramType.SHELTER}), frozenset({_T.HMIS_509_FULL}), _NEW,
        HmisRole.STANDARD),
    IndividualRole.OUTREACH: TrainingRow(
        frozenset({ProgramType.OUTREACH}), frozenset({_T.HMIS_102}), _NEW, HmisRole.OUTREACH),
    IndividualRole.COMMUNITY_COORDINATOR: TrainingRow(
        None, frozenset({_T.HMIS_509_FULL}), _NEW, HmisRole.COORDINATOR),
    IndividualRole.COMMUNITY_MATCHER: TrainingRow(
        None, frozenset({_T.HMIS_509_FULL, _T.HMIS_510}), _NEW, HmisRole.MATCHER),
})


def roles_for_program(program_type: ProgramType) -> frozenset[IndividualRole]:
    """Individual roles a program of this type supports (rows naming it, plus 'Any Program Type')."""
    return frozenset(
        role for role, row in TRAINING_TABLE.items()
        if row.program_types is None or program_type in row.program_types
    )


def highest_role(roles: Iterable[IndividualRole]) -> IndividualRole:
    """The role with most access; the seed gives a multi-role user this role's level."""
    chosen = list(roles)
    if not chosen:
        raise ValueError("no individual role given")
    return max(chosen, key=ROLE_ORDER.index)


def hmis_role(roles: Iterable[IndividualRole]) -> HmisRole:
    return TRAINING_TABLE[highest_role(roles)].hmis_role


def permissions_lacking(roles: Iterable[IndividualRole]) -> frozenset[Permission]:
    """Permissions the user's lower roles grant that the highest role does not: staff must decide."""
    chosen = frozenset(roles)
    if not chosen:
        return frozenset()
    held = frozenset().union(*(PERMISSIONS[role] for role in chosen))
    return held - PERMISSIONS[highest_role(chosen)]


def _canonical(trainings: frozenset[Training]) -> frozenset[Training]:
    # The full 509 class covers the first half, so never ask for both.
    if Training.HMIS_509_FULL in trainings:
        return trainings - {Training.HMIS_509_HALF}
    return trainings


def required_trainings(roles: Iterable[IndividualRole], new_user: bool) -> frozenset[Training]:
    needed: set[Training] = set()
    for role in roles:
        row = TRAINING_TABLE[role]
        needed |= row.trainings
        if new_user:
            needed |= row.new_user_trainings
    return _canonical(frozenset(needed))


def missing_trainings(required: Iterable[Training], completed: Iterable[Training]) -> frozenset[Training]:
    done = set(completed)
    if Training.HMIS_509_FULL in done:
        done.add(Training.HMIS_509_HALF)
    return frozenset(required) - done


AGREEMENT_STATES = ("missing", "received", "rejected", "accepted", "countersigned")
SETUP_STATES = ("not_needed", "requested", "in_setup", "awaiting_confirmation", "confirmed")
AGREEMENT_DONE = frozenset({"accepted", "countersigned"})


def _check_states(agreement: str, setups: tuple[str, ...]) -> None:
    # A misspelt state would silently block or unblock an organization, so refuse it loudly.
    if agreement not in AGREEMENT_STATES:
        raise ValueError(f"unknown agreement state {agreement!r}")
    for setup in setups:
        if setup not in SETUP_STATES:
            raise ValueError(f"unknown program setup state {setup!r}")


def org_ready_for_step3(agreement: str, program_setups: Iterable[str]) -> bool:
    """Steps 1 and 2 complete: agreement accepted, and at least one program, each set up and confirmed."""
    return not org_missing(agreement, program_setups, has_programs=True)


@dataclass(frozen=True)
class Missing:
    code: str
    text: str


_AGREEMENT_TEXT = {
    "missing": "The signed Organization Agreement has not been received at LAHSA.Training@lahsa.org.",
    "received": "The Organization Agreement was received and is awaiting review by LAHSA.",
    "rejected": "The Organization Agreement was not accepted; a corrected, signed copy is needed.",
}
_SETUP_TEXT = {
    "no_programs": ("program_setup_request", "No HMIS program has been named at JoinHMIS@lahsa.org."),
    "requested": ("program_setup", "LAHSA's HMIS Implementation Team has not finished program setup."),
    "in_setup": ("program_setup", "LAHSA's HMIS Implementation Team has not finished program setup."),
    "awaiting_confirmation": (
        "program_setup_confirmation", "The Program Manager has not yet confirmed the program setup."),
}


def org_missing(agreement: str, program_setups: Iterable[str], has_programs: bool) -> tuple[Missing, ...]:
    """What keeps the organization from step 3, in step order (agreement, then programs)."""
    setups = tuple(program_setups)
    _check_states(agreement, setups)
    found: list[Missing] = []
    if agreement not in AGREEMENT_DONE:
        found.append(Missing("org_agreement", _AGREEMENT_TEXT[agreement]))
    if not has_programs or not setups:
        found.append(Missing(*_SETUP_TEXT["no_programs"]))
    # One entry per kind of wait (LAHSA's work, then the Program Manager's), however many programs.
    for state in ("requested", "in_setup", "awaiting_confirmation"):
        missing = Missing(*_SETUP_TEXT[state])
        if state in setups and missing not in found:
            found.append(missing)
    return tuple(found)


def _required_forms(required: frozenset[Training]) -> tuple[Form, ...]:
    # The acknowledgement is signed "upon completion of HMIS 10", so it is owed exactly when
    # HMIS 10 is: by new users, except a new user who is only a Housing Provider.
    if Training.HMIS_10 in required:
        return (Form.USER_AGREEMENT, Form.HMIS10_ACKNOWLEDGEMENT)
    return (Form.USER_AGREEMENT,)


@functools.lru_cache(maxsize=512)
def _required_cached(roles: frozenset[IndividualRole], new_user: bool) -> frozenset[Training]:
    # A handful of role sets cover every user: status for 10,000 users computes each once.
    return required_trainings(roles, new_user)


_FORM_TEXT = {
    Form.USER_AGREEMENT: "The signed User Agreement has not been received at HMISsupport@lahsa.org.",
    Form.HMIS10_ACKNOWLEDGEMENT:
        "The signed HMIS 10 Acknowledgement Form has not been received at HMISsupport@lahsa.org.",
}


_TRAINING_MISSING = {t: Missing(f"training:{t.value}", f"{t.label} not yet completed.") for t in Training}
_FORM_MISSING = {f: Missing(f"form:{f.value}", _FORM_TEXT[f]) for f in _FORM_TEXT}


def user_missing(
    org_ready: bool,
    roles: Iterable[IndividualRole],
    new_user: bool,
    completed_trainings: Iterable[Training],
    forms_received: Iterable[str],
) -> tuple[Missing, ...]:
    """What the user still lacks for access: org steps, roles, trainings (table order), then forms.

    forms_received holds Form values ("user_agreement", ...) for forms received *and accepted*.
    """
    chosen = frozenset(roles)
    found: list[Missing] = []
    if not org_ready:
        found.append(Missing("org_steps", "The organization has not completed Steps 1 and 2."))
    if not chosen:
        found.append(Missing("individual_roles", "The Program Manager has not named this user's role(s)."))
    required = _required_cached(chosen, new_user)
    lacking = missing_trainings(required, completed_trainings)
    found.extend(_TRAINING_MISSING[t] for t in Training if t in lacking)
    received = frozenset(forms_received)
    found.extend(_FORM_MISSING[f] for f in _required_forms(required) if f not in received)
    return tuple(found)


def user_is_ready(
    org_ready: bool,
    roles: Iterable[IndividualRole],
    new_user: bool,
    completed_trainings: Iterable[Training],
    forms_received: Iterable[str],
) -> bool:
    """True when nothing is missing: the 3-business-day access clock may start."""
    return not user_missing(org_ready, roles, new_user, completed_trainings, forms_received)
