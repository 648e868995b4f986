"""Which organization a message is about, by which evidence, and who may act for it (bot.core.identity)."""

from __future__ import annotations

from bot.core.identity import (
    Evidence,
    KnownOrg,
    SenderRecord,
    identify,
    plausible_name,
    subject_names,
    user_may_file,
)

ORGS = [
    KnownOrg(1, "Hope Harbor Services", (), ("hopeharbor.org",), claimed=True),
    KnownOrg(2, "Eastside Youth Center", ("EYC",), ("eastsideyc.org",), claimed=True),
    KnownOrg(3, "Sunrise Bridge Community Services", (), (), claimed=False),  # imported, nobody holds it
]


def ev(sender: str, subject: str = "", body: str = "", forms: tuple[str, ...] = (), record: SenderRecord | None = None,
       may_found: bool = True, staff: bool = False) -> Evidence:
    return Evidence(sender, sender.rpartition("@")[2], subject, body, forms, (), record or SenderRecord(),
                    staff=staff, may_found=may_found)


def test_subject_names_skip_the_process_words() -> None:
    assert subject_names("Signed Organization Agreement - Sunrise Bridge Community Services") == [
        "Sunrise Bridge Community Services"]
    assert subject_names("RE: Fwd: HMIS User Agreement") == []
    assert subject_names("Program setup request for Valley Family Services") == ["Valley Family Services"]


def test_plausible_name_refuses_labels_addresses_and_ocr_dust() -> None:
    assert plausible_name("Valley Family Services")
    assert not plausible_name("Dz g")
    assert not plausible_name("maria@sunrisebridge.org")
    assert not plausible_name("Continuum of Care Representative")
    assert not plausible_name("|| ~ ;; 1l")


def test_a_contact_on_file_decides_and_is_authorized() -> None:
    ident = identify(ev("dan@gmail.com", record=SenderRecord(contact_of=1)), ORGS)
    assert (ident.org_id, ident.via, ident.standing, ident.authorized) == (1, "contact", "contact", True)


def test_the_senders_domain_decides_when_no_name_can_be_read() -> None:
    ident = identify(ev("new.person@hopeharbor.org", forms=("Dz g",)), ORGS)
    assert (ident.org_id, ident.via, ident.standing, ident.authorized) == (1, "domain", "member", True)


def test_an_outsider_at_gmail_naming_an_organization_is_not_authorized() -> None:
    ident = identify(ev("mallory.two@gmail.com", body="Organization: Hope Harbor Services"), ORGS)
    assert ident.org_id == 1 and ident.standing == "stranger" and not ident.authorized
    assert ident.problem and "not a contact of Hope Harbor Services" in ident.problem


def test_an_outsider_at_another_organizations_domain_is_a_disagreement() -> None:
    ident = identify(ev("bob@eastsideyc.org", forms=("Hope Harbor Services",)), ORGS)
    assert ident.org_id == 2 and not ident.authorized
    assert ident.problem == ("The form names Hope Harbor Services, but the sender bob@eastsideyc.org writes from "
                             "eastsideyc.org (Eastside Youth Center)")


def test_a_form_naming_the_senders_own_organization_agrees() -> None:
    ident = identify(ev("ed@hopeharbor.org", subject="Agreement - Hope Harbor Services",
                        forms=("Hope Harbour Services",)), ORGS)
    assert ident.authorized and ident.org_id == 1


def test_an_unclaimed_organization_is_claimed_from_a_domain_of_its_own() -> None:
    ident = identify(ev("maria.ortiz@sunrisebridge.org",
                        subject="Signed Organization Agreement - Sunrise Bridge Community Services"), ORGS)
    assert (ident.org_id, ident.via, ident.standing, ident.authorized) == (3, "subject", "claim", True)


def test_an_unclaimed_organization_is_not_claimed_from_gmail_nor_by_mail_that_cannot_found() -> None:
    assert not identify(ev("x@gmail.com", subject="Agreement - Sunrise Bridge Community Services"), ORGS).authorized
    assert not identify(ev("x@sunrisebridge.org", subject="Question - Sunrise Bridge Community Services",
                           may_found=False), ORGS).authorized


def test_a_new_organization_is_named_from_the_subject_when_the_form_is_unreadable() -> None:
    ident = identify(ev("ed@valleyfamily.org", subject="Organization Agreement - Valley Family Services",
                        forms=("Dz g",)), ORGS)
    assert (ident.org_id, ident.standing, ident.new_name, ident.authorized) == (None, "new", "Valley Family Services",
                                                                                True)


def test_a_name_close_to_a_known_one_does_not_found_a_new_organization() -> None:
    ident = identify(ev("someone@elsewhere.org", subject="Agreement - Hope Harbour Svc"), ORGS)
    assert ident.new_name is None and ident.problem and "looks like an organization we know" in ident.problem


def test_a_registered_user_files_only_their_own_forms() -> None:
    ident = identify(ev("tomas@gmail.com", record=SenderRecord(user_of=2)), ORGS)
    assert ident.standing == "user" and ident.authorized
    assert user_may_file("user", "tomas@gmail.com", "TOMAS@gmail.com")
    assert not user_may_file("user", "tomas@gmail.com", "ana@eastsideyc.org")
    assert user_may_file("contact", "pm@eastsideyc.org", "ana@eastsideyc.org")


def test_the_thread_names_the_organization_but_does_not_authorize_a_stranger() -> None:
    ident = identify(ev("someone@gmail.com", record=SenderRecord(thread_org=1)), ORGS)
    assert ident.org_id == 1 and ident.via == "thread" and not ident.authorized


def test_a_legal_form_does_not_make_another_organization() -> None:
    from bot.core.identity import core_name, match_name

    assert core_name("Hope Harbor Services, Inc.") == core_name("hope harbor  services") == "hope harbor services"
    assert match_name("Eastside Youth Center Inc", ORGS)[0] == 2
    ident = identify(ev("ed@hopeharbor.org", forms=("Hope Harbor Services, Inc.",)), ORGS)
    assert ident.authorized and ident.problem is None
