"""Property-based fuzzing of the whole API from its own /openapi.json (issue 18): schemathesis
generates valid and invalid requests for every operation against a stack of this module's own
(demo data, so ids and pages exist), anonymously and as a platform admin, within a time budget.
Checks: no 5xx, only documented status codes, documented content types, bodies that match the
documented schemas. A finding becomes a regression test in tests/integration/test_bad_input.py."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scripts.local_stack import LocalStack
from tests.e2e.conftest import running_stack

BUDGET_SECONDS = 60  # per caller, after a first complete round
EXAMPLES_PER_ROUND = 3  # per operation and mode
MAX_ROUNDS = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


@pytest.fixture(scope="module")
def fuzz_stack() -> Iterator[LocalStack]:
    # Its own stack: a platform admin's random approvals and refunds must not reach other tests' data.
    with running_stack(demo=True) as local:
        yield local


def _fuzz(stack: LocalStack, headers: dict[str, str]) -> tuple[int, set[str], list[str]]:
    """Rounds over every operation (valid, then invalid requests); the first round is always
    complete, later ones (new seeds) run while the budget lasts."""
    doc = requests.get(f"{stack.api_url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(doc)
    session = requests.Session()
    deadline = time.monotonic() + BUDGET_SECONDS
    sent = 0
    covered: set[str] = set()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for round_number in range(MAX_ROUNDS):
        if round_number and time.monotonic() > deadline:
            break
        for operation in operations:
            for mode in MODES:

                @seed(round_number)
                @settings(
                    max_examples=EXAMPLES_PER_ROUND,
                    deadline=None,
                    database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case: schemathesis.Case) -> None:
                    nonlocal sent
                    sent += 1
                    covered.add(f"{case.method} {case.path}")
                    try:
                        case.call_and_validate(
                            base_url=stack.api_url, session=session, headers=headers, checks=CHECKS, timeout=60
                        )
                    except AssertionError as exc:  # schemathesis' failure groups are AssertionErrors
                        failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:600]}")

                try:
                    run()
                except Unsatisfiable:
                    continue  # nothing to negate in this operation (no parameters, no body)
    return sent, covered, failures


def test_search_is_ready_when_the_stack_says_it_is_ready(fuzz_stack):
    # The first request to this module's fresh stack: `make run` used to print "ready" ~5 s before
    # the search index held the demo projects (issue 18).
    listed = requests.get(f"{fuzz_stack.api_url}/projects", timeout=30)
    assert listed.status_code == 200 and listed.json()["items"], listed.text


def fuzz_stack_doc(stack: LocalStack) -> dict:
    return dict(requests.get(f"{stack.api_url}/openapi.json", timeout=30).json())


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["anonymous", "platform_admin"])
def test_schemathesis_finds_no_server_error_or_undocumented_answer(fuzz_stack, caller):
    headers = {} if caller == "anonymous" else {"Authorization": f"Bearer {fuzz_stack.token('platform_admin')}"}
    sent, covered, failures = _fuzz(fuzz_stack, headers)
    documented = {
        f"{method.upper()} {path}" for path, ops in fuzz_stack_doc(fuzz_stack)["paths"].items() for method in ops
    }
    assert covered == documented, documented - covered
    assert not failures, "\n\n".join(failures[:20])
