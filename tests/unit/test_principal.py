"""Roles and charity binding."""

import pytest

from chalicelib.auth import Principal, Role
from chalicelib.errors import Forbidden


def test_org_admin_acts_only_for_their_own_charity():
    admin = Principal(sub="u1", role=Role.ORG_ADMIN, org_id="ORG1")
    admin.require_org("ORG1")
    with pytest.raises(Forbidden):
        admin.require_org("ORG2")


def test_platform_admin_acts_for_any_charity_and_donor_for_none():
    Principal(sub="a", role=Role.PLATFORM_ADMIN).require_org("ORG2")
    with pytest.raises(Forbidden):
        Principal(sub="d", role=Role.DONOR).require_org("ORG2")


def test_require_role():
    donor = Principal(sub="d", role=Role.DONOR)
    with pytest.raises(Forbidden):
        donor.require_role(Role.PLATFORM_ADMIN)
    donor.require_role(Role.DONOR, Role.PLATFORM_ADMIN)
