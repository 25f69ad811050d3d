"""A role granted at a division reaches the divisions below it, and nothing else.

金昌 第八条: the county and district governments answer for the items of the county,
its townships and its villages. A grant at a county division must therefore cover an
item of a township or village inside it, and must not reach a sibling county, that
county's townships, or the city above.
"""

from qingdan.core.tenancy.schemas import Grant, Principal, Role
from qingdan.core.workflow.permissions import holds

# 金昌's own divisions (plugins/jinchang demo data): the city, its two county-level
# divisions, and a township and a village under each.
CODES = {
    1: "620300000000",  # 金昌市
    2: "620321000000",  # 永昌县
    3: "620321100000",  # 永昌县 a township
    4: "620321100201",  # 永昌县 a village in that township
    5: "620302000000",  # 金川区
    6: "620302001000",  # 金川区 a street
    7: "620302001001",  # 金川区 a community in that street
}
AGENCY = 99  # an agency the grant does not name


def _principal(*grants: Grant) -> Principal:
    return Principal(1, 1, "jinchang", "u", "u", grants)


def _reaches(principal: Principal, division_id: int, role: Role = Role.reform_office) -> bool:
    return holds(principal, role.value, AGENCY, CODES[division_id], CODES)


def test_a_county_grant_covers_its_townships_and_villages_and_no_sibling_or_parent():
    county = _principal(Grant(Role.reform_office, division_id=2))
    reached = {d for d in CODES if _reaches(county, d)}
    assert reached == {2, 3, 4}
    # The role is what is held: the same grant gives no other role.
    assert not _reaches(county, 3, Role.legal_reviewer)


def test_a_township_grant_covers_its_villages_only():
    township = _principal(Grant(Role.reform_office, division_id=3))
    assert {d for d in CODES if _reaches(township, d)} == {3, 4}


def test_a_city_grant_covers_every_division_and_a_tenant_wide_grant_too():
    city = _principal(Grant(Role.reform_office, division_id=1))
    assert {d for d in CODES if _reaches(city, d)} == set(CODES)
    tenant_wide = _principal(Grant(Role.reform_office))
    assert {d for d in CODES if _reaches(tenant_wide, d)} == set(CODES)


def test_a_grant_in_no_tenant_and_a_grant_at_an_unknown_division_reach_nothing():
    outside = Principal(1, None, None, "p", "p", (Grant(Role.reform_office, division_id=2),))
    assert not any(_reaches(outside, d) for d in CODES)
    unknown = _principal(Grant(Role.reform_office, division_id=404))
    assert not any(_reaches(unknown, d) for d in CODES)
