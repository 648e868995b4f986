"""bot.ces.rules against the seed's tables, written out here row by row as the seed prints them."""

from __future__ import annotations

import pytest

from bot.ces.rules import (
    AGREEMENT_STATES,
    PERMISSIONS,
    ROLE_ORDER,
    SETUP_STATES,
    HmisRole,
    IndividualRole,
    Missing,
    OrgRole,
    Permission,
    ProgramType,
    Training,
    highest_role,
    hmis_role,
    missing_trainings,
    org_missing,
    org_ready_for_step3,
    permissions_lacking,
    required_trainings,
    roles_for_program,
    setup_needed,
    user_is_ready,
    user_missing,
)

R = IndividualRole
P = Permission
T = Training
HP, AO, HN, OUT, CC, CM = (
    R.HOUSING_PROVIDER, R.ASSESSMENT_ONLY, R.HOUSING_NAVIGATOR, R.OUTREACH,
    R.COMMUNITY_COORDINATOR, R.COMMUNITY_MATCHER,
)

# The seed's ROLE ACCESS table; columns: HP, AO, HN/CM, Outreach, Coordinator, Matcher.
SEED_PERMISSION_TABLE = {
    "Enter CES Survey":                      " XXXXX",
    "Provide Housing Navigation Services":   "  XXXX",
    "Provide Case Management Services":      "  XXXX",
    "View Client Prioritization List":       "  XXXX",
    "View Housing Resource List":            "X XXXX",
    "Manage Client Prioritization List":     "    XX",
    "Manage Housing Resource List":          "X   XX",
    "Enter Vacancy Form":                    "X   XX",
    "Provide Services prior to CES Survey":  "   X  ",
}
COLUMNS = (HP, AO, HN, OUT, CC, CM)
PERMISSION_CASES = [
    (role, label, marks[i] == "X")
    for label, marks in SEED_PERMISSION_TABLE.items()
    for i, role in enumerate(COLUMNS)
]


def test_role_order_is_seed_order_least_to_most_access() -> None:
    assert ROLE_ORDER == (HP, AO, HN, OUT, CC, CM)
    assert [r.value for r in ROLE_ORDER] == [
        "housing_provider", "assessment_only", "housing_navigator", "outreach",
        "community_coordinator", "community_matcher",
    ]


@pytest.mark.parametrize(("role", "permission_label", "granted"), PERMISSION_CASES)
def test_permission_table_cell(role: IndividualRole, permission_label: str, granted: bool) -> None:
    permission = next(p for p in Permission if p.label == permission_label)
    assert (permission in PERMISSIONS[role]) is granted


def test_permission_table_has_nine_permissions_and_six_roles() -> None:
    assert len(Permission) == 9
    assert {p.label for p in Permission} == set(SEED_PERMISSION_TABLE)
    assert set(PERMISSIONS) == set(IndividualRole)


# The seed's trainings table: (role, new user?) -> trainings.
TRAINING_CASES = [
    (HP, True, {T.HMIS_511}),  # the seed's row lists no HMIS 10, even for new users
    (HP, False, {T.HMIS_511}),
    (AO, True, {T.HMIS_10, T.HMIS_509_HALF}),
    (AO, False, {T.HMIS_509_HALF}),
    (HN, True, {T.HMIS_10, T.HMIS_509_FULL}),
    (HN, False, {T.HMIS_509_FULL}),
    (OUT, True, {T.HMIS_10, T.HMIS_102}),
    (OUT, False, {T.HMIS_102}),
    (CC, True, {T.HMIS_10, T.HMIS_509_FULL}),
    (CC, False, {T.HMIS_509_FULL}),
    (CM, True, {T.HMIS_10, T.HMIS_509_FULL, T.HMIS_510}),
    (CM, False, {T.HMIS_509_FULL, T.HMIS_510}),
]


@pytest.mark.parametrize(("role", "new_user", "expected"), TRAINING_CASES)
def test_training_table_row(role: IndividualRole, new_user: bool, expected: set[Training]) -> None:
    assert required_trainings([role], new_user) == expected


@pytest.mark.parametrize(("role", "expected"), [
    (HP, "CES_Housing_Provider"), (AO, "CES_Assessments"), (HN, "CES_Standard"),
    (OUT, "CES_Outreach"), (CC, "CES_Coordinator"), (CM, "CES_Matcher"),
])
def test_hmis_role_per_individual_role(role: IndividualRole, expected: str) -> None:
    assert hmis_role([role]) == expected
    assert isinstance(hmis_role([role]), HmisRole)


MULTI_ROLE_CASES = [
    # roles, new user, trainings, HMIS role, permissions the highest role lacks
    ({HP, AO}, True, {T.HMIS_10, T.HMIS_509_HALF, T.HMIS_511}, "CES_Assessments",
     {P.VIEW_HOUSING_RESOURCE_LIST, P.MANAGE_HOUSING_RESOURCE_LIST, P.ENTER_VACANCY_FORM}),
    ({HP, AO}, False, {T.HMIS_509_HALF, T.HMIS_511}, "CES_Assessments",
     {P.VIEW_HOUSING_RESOURCE_LIST, P.MANAGE_HOUSING_RESOURCE_LIST, P.ENTER_VACANCY_FORM}),
    ({OUT, CC}, True, {T.HMIS_10, T.HMIS_102, T.HMIS_509_FULL}, "CES_Coordinator",
     {P.PROVIDE_SERVICES_PRIOR_TO_CES_SURVEY}),
    ({AO, HN}, True, {T.HMIS_10, T.HMIS_509_FULL}, "CES_Standard", set()),  # full 509 drops the half
    ({AO, CM}, False, {T.HMIS_509_FULL, T.HMIS_510}, "CES_Matcher", set()),
    ({HP, HN}, False, {T.HMIS_509_FULL, T.HMIS_511}, "CES_Standard",
     {P.MANAGE_HOUSING_RESOURCE_LIST, P.ENTER_VACANCY_FORM}),
    ({HP, CM}, True, {T.HMIS_10, T.HMIS_509_FULL, T.HMIS_510, T.HMIS_511}, "CES_Matcher", set()),
    ({HN, OUT}, False, {T.HMIS_509_FULL, T.HMIS_102}, "CES_Outreach", set()),
    ({OUT, CM}, False, {T.HMIS_102, T.HMIS_509_FULL, T.HMIS_510}, "CES_Matcher",
     {P.PROVIDE_SERVICES_PRIOR_TO_CES_SURVEY}),
    (set(IndividualRole), True,
     {T.HMIS_10, T.HMIS_509_FULL, T.HMIS_102, T.HMIS_510, T.HMIS_511}, "CES_Matcher",
     {P.PROVIDE_SERVICES_PRIOR_TO_CES_SURVEY}),
]


@pytest.mark.parametrize(("roles", "new_user", "trainings", "role", "lacking"), MULTI_ROLE_CASES)
def test_multi_role_user(
    roles: set[IndividualRole], new_user: bool, trainings: set[Training], role: str, lacking: set[Permission]
) -> None:
    assert required_trainings(roles, new_user) == trainings
    assert hmis_role(roles) == role
    assert permissions_lacking(roles) == lacking


def test_single_role_lacks_nothing_and_empty_roles() -> None:
    assert all(permissions_lacking([r]) == frozenset() for r in IndividualRole)
    assert permissions_lacking([]) == frozenset()
    assert required_trainings([], new_user=True) == frozenset()
    with pytest.raises(ValueError):
        hmis_role([])
    assert highest_role([CM, HP, OUT]) is CM


@pytest.mark.parametrize(("required", "completed", "expected"), [
    ({T.HMIS_509_HALF}, {T.HMIS_509_FULL}, set()),  # full class covers the first half
    ({T.HMIS_509_FULL}, {T.HMIS_509_HALF}, {T.HMIS_509_FULL}),  # but not the other way round
    ({T.HMIS_10, T.HMIS_102}, {T.HMIS_10}, {T.HMIS_102}),
    ({T.HMIS_10, T.HMIS_102}, set(), {T.HMIS_10, T.HMIS_102}),
    ({T.HMIS_511}, {T.HMIS_511, T.HMIS_10}, set()),
])
def test_missing_trainings(
    required: set[Training], completed: set[Training], expected: set[Training]
) -> None:
    assert missing_trainings(required, completed) == expected


@pytest.mark.parametrize(("program_type", "needed", "roles"), [
    (ProgramType.ASSESSMENT_ONLY, True, {AO, CC, CM}),
    (ProgramType.ACCESS_CENTER, True, {HN, CC, CM}),
    (ProgramType.OUTREACH, True, {OUT, CC, CM}),
    (ProgramType.SHELTER, True, {HN, CC, CM}),
    (ProgramType.PERMANENT_HOUSING, False, {HP, CC, CM}),
])
def test_program_types(program_type: ProgramType, needed: bool, roles: set[IndividualRole]) -> None:
    assert setup_needed(program_type) is needed
    assert roles_for_program(program_type) == roles


def test_labels_follow_the_seed() -> None:
    assert HN.label == "Housing Navigator/Case Manager"
    assert ProgramType.ACCESS_CENTER.label == "Access Center and/or other supportive services"
    assert ProgramType.SHELTER.value == "emergency_shelter_transitional_housing"
    assert OrgRole.HOUSING_NAVIGATION.label == "Housing Navigation/Case Management"
    assert "vacancy forms" in OrgRole.HOUSING_PROVIDER.description
    assert [t.value for t in Training] == [
        "HMIS 10", "HMIS 509 first half", "HMIS 509", "HMIS 102", "HMIS 510", "HMIS 511"]
    assert [h.value for h in HmisRole] == [
        "CES_Housing_Provider", "CES_Assessments", "CES_Standard", "CES_Outreach", "CES_Coordinator",
        "CES_Matcher"]
    assert AGREEMENT_STATES == ("missing", "received", "rejected", "accepted", "countersigned")
    assert SETUP_STATES == ("not_needed", "requested", "in_setup", "awaiting_confirmation", "confirmed")


@pytest.mark.parametrize(("agreement", "setups", "ready"), [
    ("accepted", ["confirmed"], True),
    ("countersigned", ["confirmed", "not_needed"], True),
    ("accepted", ["not_needed"], True),  # permanent-housing-only organization: no setup change needed
    ("countersigned", ["not_needed", "not_needed"], True),
    ("accepted", [], False),  # no program at all
    ("missing", ["confirmed"], False),
    ("received", ["confirmed"], False),  # received but not yet reviewed
    ("rejected", ["confirmed"], False),
    ("accepted", ["confirmed", "awaiting_confirmation"], False),
    ("accepted", ["requested"], False),
    ("accepted", ["in_setup", "not_needed"], False),
    ("missing", [], False),
])
def test_org_ready_for_step3(agreement: str, setups: list[str], ready: bool) -> None:
    assert org_ready_for_step3(agreement, setups) is ready


@pytest.mark.parametrize(("agreement", "setups", "has_programs", "codes"), [
    ("accepted", ["confirmed"], True, []),
    ("missing", [], False, ["org_agreement", "program_setup_request"]),
    ("received", ["awaiting_confirmation"], True, ["org_agreement", "program_setup_confirmation"]),
    ("accepted", ["requested", "in_setup", "awaiting_confirmation", "awaiting_confirmation"], True,
     ["program_setup", "program_setup_confirmation"]),
    ("rejected", ["not_needed"], True, ["org_agreement"]),
])
def test_org_missing(agreement: str, setups: list[str], has_programs: bool, codes: list[str]) -> None:
    assert [m.code for m in org_missing(agreement, setups, has_programs)] == codes


def test_org_missing_texts_and_unknown_states() -> None:
    (agreement,) = org_missing("rejected", ["confirmed"], True)
    assert "not accepted" in agreement.text
    with pytest.raises(ValueError):
        org_ready_for_step3("signed", ["confirmed"])
    with pytest.raises(ValueError):
        org_ready_for_step3("accepted", ["done"])


def test_user_missing_lists_everything_in_stable_order() -> None:
    found = user_missing(False, [OUT, CC], True, [], [])
    assert [m.code for m in found] == [
        "org_steps", "training:HMIS 10", "training:HMIS 509", "training:HMIS 102",
        "form:user_agreement", "form:hmis10_acknowledgement",
    ]
    assert found[1] == Missing("training:HMIS 10", "HMIS 10 Webinar (3 hours) not yet completed.")


@pytest.mark.parametrize(("roles", "new_user", "trainings", "forms", "codes"), [
    ({OUT}, False, {T.HMIS_102}, {"user_agreement"}, []),
    ({OUT}, False, {T.HMIS_102}, set(), ["form:user_agreement"]),
    ({OUT}, True, {T.HMIS_102, T.HMIS_10}, {"user_agreement"}, ["form:hmis10_acknowledgement"]),
    ({AO}, True, {T.HMIS_10, T.HMIS_509_FULL}, {"user_agreement", "hmis10_acknowledgement"}, []),
    ({AO, HN}, False, {T.HMIS_509_HALF}, {"user_agreement"}, ["training:HMIS 509"]),
    ({CM}, False, {T.HMIS_509_FULL}, {"user_agreement"}, ["training:HMIS 510"]),
    # A new user who is only a Housing Provider takes no HMIS 10, so owes no HMIS 10 acknowledgement.
    ({HP}, True, {T.HMIS_511}, {"user_agreement"}, []),
    ({HP}, True, set(), set(), ["training:HMIS 511", "form:user_agreement"]),
    (set(), False, set(), {"user_agreement"}, ["individual_roles"]),
])
def test_user_missing(
    roles: set[IndividualRole], new_user: bool, trainings: set[Training], forms: set[str], codes: list[str]
) -> None:
    assert [m.code for m in user_missing(True, roles, new_user, trainings, forms)] == codes
    assert user_is_ready(True, roles, new_user, trainings, forms) is (codes == [])


def test_user_not_ready_while_org_is_not() -> None:
    done = {T.HMIS_102, T.HMIS_10}
    forms = {"user_agreement", "hmis10_acknowledgement"}
    assert user_is_ready(True, [OUT], True, done, forms) is True
    assert user_is_ready(False, [OUT], True, done, forms) is False
    assert [m.code for m in user_missing(False, [OUT], True, done, forms)] == ["org_steps"]
