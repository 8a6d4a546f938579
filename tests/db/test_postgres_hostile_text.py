"""Hostile text on PostgreSQL (issue 12, item 5): the server refuses a NUL and a value longer than its column with
a raw DataError, and no text with a lone surrogate can be sent at all. Every write is refused in words first, so the
server never sees one: the same walk as tests/services/test_hostile_text.py, on a real server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from needlelog.domain.model import Clinic
from needlelog.services.store import Services, open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING, FakeClock
from tests.services.test_hostile_text import WRITES, World, Write, make_world, refuse_each

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
if not PG_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI must test PostgreSQL mode: NEEDLELOG_TEST_PG_URL is not set")

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]


@pytest.fixture
def world(pg_url: str, clock: FakeClock) -> Iterator[World]:
    services: Services = open_chart(pg_url, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy", address="12 Centre Ave W", phone="403-555-0142"))
    try:
        yield make_world(services, clock)
    finally:
        services.close()


@pytest.mark.timeout(120)
def test_every_write_refuses_unstorable_and_over_long_text_before_the_server_sees_it(world: World) -> None:
    # One chart for the whole walk: a database per case would cost a server round of migrations each.
    for what, write, field, limit_key in WRITES:
        refuse_one(world, what, write, field, limit_key)


def refuse_one(world: World, what: str, write: Write, field: str, limit_key: str) -> None:
    try:
        refuse_each(world, write, field, limit_key)
    except AssertionError as failed:
        raise AssertionError(f"{what}: {failed}") from failed
