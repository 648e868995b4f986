"""Invented Los Angeles nonprofits, people, dates and the per-instance form data.

Owns ``FormData`` (everything a filled-in form may carry, plus how it was filled: typed or by hand,
ink colour, who signed) and deterministic sampling of it from a ``random.Random``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from bench.heldout.model import INK_BLACK, INK_BLUE, Color

ORGS = [
    "Eastside Bridges Community Services", "Angeles Crest Housing Collaborative", "Boyle Heights Neighbors United",
    "South Bay Pathways Home", "Westlake Family Resource Network", "San Fernando Valley Open Door",
    "Crenshaw Community Care Partners", "Pico-Union Housing Coalition", "Harbor Gateway Shelter Network",
    "Antelope Valley Homeward Initiative", "Long Beach Compass Point", "Koreatown Youth & Family Outreach",
    "Lantern House of Central City", "Echo Park Common Table", "Highland Park Welcome Home Project",
    "Watts Pathfinder Collective", "Venice Tideline Community Services", "Mid-Wilshire Second Chance Center",
    "Glendale Stepping Stones", "Pasadena Open Arms Ministries", "El Monte Bridges to Housing",
    "Inglewood Rising Family Services", "Lancaster Desert Bloom Outreach", "San Pedro Anchor House",
    "Compton Covenant Housing Corporation", "Sylmar Foothill Shelter Services", "Hollywood Beacon Youth Center",
    "Santa Clarita Haven Network", "Wilmington Safe Harbor Mission", "Van Nuys Fresh Start Alliance",
    "Lincoln Heights Casa de Paz", "Palms Friends of the Unhoused", "Whittier First Light Services",
    "Cudahy Unity Housing Partners", "Leimert Park Village Care", "MacArthur Park Street Medicine Team",
]
SUFFIXES = ["", "", "", "", ", Inc.", " Inc."]
FIRST = [
    "Maria", "Jose", "Daniela", "Luis", "Grace", "Kevin", "Aaliyah", "Marcus", "Ani", "Arman", "Thuy", "Minh",
    "Jasmine", "Darnell", "Sofia", "Eduardo", "Priya", "Rahul", "Keiko", "Hiroshi", "Rosa", "Miguel", "Tanya",
    "Andre", "Claire", "Nathan", "Yesenia", "Oscar", "Lena", "Samuel", "Fatima", "Omar", "Ji-woo", "Hana",
    "Beatriz", "Terrence", "Monique", "Gabriel", "Lucia", "Raymond", "Erin", "Victor", "Noemi", "Devon",
]
LAST = [
    "Hernandez", "Ramirez", "Nguyen", "Washington", "Kim", "Petrosyan", "Garcia", "Tran", "Okafor", "Johnson",
    "Sarkisian", "Castillo", "Yamamoto", "Patel", "Morales", "Brooks", "Lopez", "Chen", "Alvarado", "Robinson",
    "Park", "Avakian", "Gutierrez", "Fitzgerald", "Delgado", "Mendoza", "Harris", "Ochoa", "Nakamura", "Reyes",
    "Coleman", "Salazar", "Haddad", "Bautista", "Ellison", "Vargas", "Le", "Moreno", "Whitfield", "Quintero",
]
ED_TITLES = ["Executive Director", "Executive Director", "Chief Executive Officer", "President & CEO",
             "Authorized Representative", "Deputy Executive Director", "Chief Operating Officer"]
USER_TITLES = ["Case Manager", "Outreach Specialist", "Housing Navigator", "Intake Coordinator",
               "Data Entry Specialist", "Program Assistant", "Housing Locator", "Peer Navigator"]
SUP_TITLES = ["Program Manager", "Program Director", "Agency Administrator", "Clinical Supervisor"]
STREETS = ["S. Main St.", "W. 7th St.", "E. Cesar E. Chavez Ave.", "N. Figueroa St.", "Crenshaw Blvd.",
           "Van Nuys Blvd.", "W. Pico Blvd.", "S. Central Ave.", "Sunset Blvd.", "E. Anaheim St."]
CITIES = ["Los Angeles, CA 900", "Long Beach, CA 908", "Pasadena, CA 911", "Lancaster, CA 935", "Van Nuys, CA 914"]
DATE_FORMATS = ["%m/%d/%Y", "{m}/{d}/%Y", "%B {d}, %Y", "%m-%d-%y", "{m}/{d}/%y", "%b. {d}, %Y", "%Y-%m-%d"]


@dataclass
class FormData:
    """One filled-in (or blank) form instance."""

    organization: str = ""
    address: str = ""
    signer_name: str = ""
    signer_title: str = ""
    date: dt.date | None = None
    date_fmt: str = "%m/%d/%Y"
    user_name: str = ""
    user_title: str = ""
    email: str = ""
    phone: str = ""
    supervisor_name: str = ""
    supervisor_title: str = ""
    coc_name: str = ""
    coc_title: str = ""
    trainer_name: str = ""
    hand: bool = False  # values written by hand rather than typed
    ink: Color = INK_BLUE
    principal_signs: bool = True  # ED/AR, or the user
    second_signs: bool = False  # supervisor / trainer
    coc_values: bool = False  # someone filled the CoC (LAHSA-only) section
    coc_signs: bool = False  # someone signed the CoC section
    blank: bool = False

    def fmt(self, d: dt.date | None = None) -> str:
        """Date as the writer wrote it."""
        d = d or self.date
        if d is None or self.blank:
            return ""
        return d.strftime(self.date_fmt.replace("{m}", str(d.month)).replace("{d}", str(d.day)))

    def v(self, s: str) -> str:
        """A value, or nothing on a blank template."""
        return "" if self.blank else s


def person(rng: random.Random) -> str:
    """A full name, sometimes with a middle initial."""
    mid = f" {rng.choice('ABCDEJKLMRST')}." if rng.random() < 0.2 else ""
    return f"{rng.choice(FIRST)}{mid} {rng.choice(LAST)}"


def domain_of(org: str) -> str:
    """An e-mail domain derived from the organization name."""
    words = [w for w in re.sub(r"[^a-z ]", "", org.lower()).split() if w not in {"of", "the", "inc", "and", "to"}]
    base = "".join(words[:2]) if len(words) > 2 else "".join(words)
    return f"{base}.org"


def email_of(name: str, org: str, rng: random.Random) -> str:
    """first.last@orgdomain.org (sometimes flast@)."""
    parts = [p for p in re.sub(r"[^a-z ]", "", name.lower()).split() if len(p) > 1]
    local = f"{parts[0]}.{parts[-1]}" if rng.random() < 0.75 else f"{parts[0][0]}{parts[-1]}"
    return f"{local}@{domain_of(org)}"


def sample(rng: random.Random) -> FormData:
    """A fully populated instance; the caller decides which parts are signed or left blank."""
    org = rng.choice(ORGS)
    org_printed = org + rng.choice(SUFFIXES) if not org.endswith("Corporation") else org
    user = person(rng)
    start = dt.date(2025, 7, 1)
    date = start + dt.timedelta(days=rng.randint(0, 540))
    return FormData(
        organization=org_printed,
        address=f"{rng.randint(100, 9899)} {rng.choice(STREETS)}, {rng.choice(CITIES)}{rng.randint(10, 99)}",
        signer_name=person(rng),
        signer_title=rng.choice(ED_TITLES),
        date=date,
        date_fmt=rng.choice(DATE_FORMATS),
        user_name=user,
        user_title=rng.choice(USER_TITLES),
        email=email_of(user, org, rng),
        phone=f"({rng.choice(['213', '323', '310', '818', '626', '562', '661'])}) 555-{rng.randint(100, 9999):04d}",
        supervisor_name=person(rng),
        supervisor_title=rng.choice(SUP_TITLES),
        coc_name=person(rng),
        coc_title=rng.choice(["HMIS Manager", "Director of Data Systems", "CoC Lead Designee"]),
        trainer_name=person(rng),
        hand=rng.random() < 0.5,
        ink=INK_BLUE if rng.random() < 0.6 else INK_BLACK,
    )
