"""bot.ces.parse: the ways people name roles, program types, trainings and user status in mail."""

from __future__ import annotations

import pytest

from bot.ces.parse import (
    parse_individual_roles,
    parse_new_user,
    parse_org_roles,
    parse_program_type,
    parse_program_types,
    parse_training,
    parse_trainings,
)
from bot.ces.rules import IndividualRole, OrgRole, ProgramType, Training

R = IndividualRole
PT = ProgramType
T = Training


@pytest.mark.parametrize(("text", "expected"), [
    ("case manager", {R.HOUSING_NAVIGATOR}),
    ("Case Management", {R.HOUSING_NAVIGATOR}),
    ("Housing Navigator", {R.HOUSING_NAVIGATOR}),
    ("HN/CM", {R.HOUSING_NAVIGATOR}),
    ("role: HN / CM", {R.HOUSING_NAVIGATOR}),
    ("matcher", {R.COMMUNITY_MATCHER}),
    ("Community Matcher", {R.COMMUNITY_MATCHER}),
    ("community coordinator", {R.COMMUNITY_COORDINATOR}),
    ("outreach worker", {R.OUTREACH}),
    ("assessment only", {R.ASSESSMENT_ONLY}),
    ("Assessment-Only", {R.ASSESSMENT_ONLY}),
    ("housing provider", {R.HOUSING_PROVIDER}),
    ("Jane Doe - Housing Provider, Assessment Only", {R.HOUSING_PROVIDER, R.ASSESSMENT_ONLY}),
    ("Outreach and Community Coordinator", {R.OUTREACH, R.COMMUNITY_COORDINATOR}),
    ("program coordinator", set()),  # a job title, not the CES role
    ("Thanks, see you there", set()),
    ("", set()),
])
def test_parse_individual_roles(text: str, expected: set[IndividualRole]) -> None:
    assert parse_individual_roles(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("street outreach", PT.OUTREACH),
    ("Outreach", PT.OUTREACH),
    ("emergency shelter", PT.SHELTER),
    ("Interim Housing", PT.SHELTER),
    ("transitional housing", PT.SHELTER),
    ("TH", PT.SHELTER),
    ("Our ES program", PT.SHELTER),
    ("Emergency Shelter or Transitional Housing", PT.SHELTER),
    ("access center", PT.ACCESS_CENTER),
    ("Access Centre", PT.ACCESS_CENTER),
    ("supportive services", PT.ACCESS_CENTER),
    ("Access Center and/or other supportive services program", PT.ACCESS_CENTER),
    ("PSH", PT.PERMANENT_HOUSING),
    ("permanent supportive housing", PT.PERMANENT_HOUSING),
    ("Permanent Housing", PT.PERMANENT_HOUSING),
    ("rapid rehousing", PT.PERMANENT_HOUSING),
    ("Rapid Re-Housing", PT.PERMANENT_HOUSING),
    ("assessment only", PT.ASSESSMENT_ONLY),
    ("the other thing", None),  # "th" inside words is not Transitional Housing
    ("es ist gut; yes, these", None),  # lower-case "es" is not Emergency Shelter
    ("Please see the attached", None),
])
def test_parse_program_type(text: str, expected: ProgramType | None) -> None:
    assert parse_program_type(text) == expected


def test_parse_program_type_takes_the_first_named_and_types_lists_all() -> None:
    text = "Program A is PSH; program B is street outreach"
    assert parse_program_type(text) == PT.PERMANENT_HOUSING
    assert parse_program_type("street outreach, then PSH") == PT.OUTREACH
    assert parse_program_types(text) == {PT.PERMANENT_HOUSING, PT.OUTREACH}


@pytest.mark.parametrize(("text", "expected"), [
    ("Assessment Only", {OrgRole.ASSESSMENT_ONLY}),
    ("Housing Navigation/Case Management", {OrgRole.HOUSING_NAVIGATION}),
    ("HN/CM", {OrgRole.HOUSING_NAVIGATION}),
    ("We are a housing provider and do case management",
     {OrgRole.HOUSING_PROVIDER, OrgRole.HOUSING_NAVIGATION}),
    ("nothing here", set()),
])
def test_parse_org_roles(text: str, expected: set[OrgRole]) -> None:
    assert parse_org_roles(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("HMIS 509 - Full Class", T.HMIS_509_FULL),
    ("HMIS 509 (7 Hours) - Full Class", T.HMIS_509_FULL),
    ("HMIS 509", T.HMIS_509_FULL),
    ("509 first half", T.HMIS_509_HALF),
    ("HMIS 509 (3 Hours) - First Half", T.HMIS_509_HALF),
    ("HMIS-509 part 1", T.HMIS_509_HALF),
    ("HMIS 10 Webinar", T.HMIS_10),
    ("HMIS10", T.HMIS_10),
    ("HMIS 102", T.HMIS_102),
    ("HMIS 510 Webinar", T.HMIS_510),
    ("hmis 511 webinar (1 hour)", T.HMIS_511),
    ("511", T.HMIS_511),
    ("I have 10 clients", None),  # "10" needs "HMIS" before it
    ("Invoice $509.00", None),
    ("Suite 1509", None),
    ("", None),
])
def test_parse_training(text: str, expected: Training | None) -> None:
    assert parse_training(text) == expected


def test_parse_trainings_keeps_each_509_qualifier_to_its_own_course() -> None:
    line = "HMIS 509 (7 Hours) - Full Class; HMIS 102 (3 Hours); HMIS 10 Webinar"
    assert parse_trainings(line) == {T.HMIS_509_FULL, T.HMIS_102, T.HMIS_10}
    assert parse_trainings("HMIS 509 first half, HMIS 511") == {T.HMIS_509_HALF, T.HMIS_511}


@pytest.mark.parametrize(("text", "expected"), [
    ("new user", True),
    ("She is a New HMIS User", True),
    ("first-time user", True),
    ("does not have an HMIS account", True),
    ("New", True),
    ("existing user", False),
    ("Existing", False),
    ("Returning", False),
    ("returning user", False),
    ("already has an HMIS account", False),
    ("not a new user", False),
    ("I am returning the signed form", None),  # "returning" in a sentence is not user status
    ("new users: Ana; existing users: Bo", None),  # contradictory
    ("Hello", None),
])
def test_parse_new_user(text: str, expected: bool | None) -> None:
    assert parse_new_user(text) is expected
