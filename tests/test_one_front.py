"""Issue 18: a resolver-path request is parsed once and validated once.

The counts are taken where every parse and every validation of graphql-core goes through,
whoever calls it and under whatever name it was imported: the parser's `parse_document`
and the construction of a `ValidationContext` (one per `validate()` call)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql.language.parser import Parser
from graphql.validation.validation_context import ValidationContext

from core.settings import Settings
from service.auth import issue_token

MUTATION = {
    "query": "mutation End($i: EndMandateInput!) { endMandate(input: $i) { userErrors { code } } }",
    "variables": {
        "i": {"mandateId": "TWFuZGF0ZTox", "endDate": "2024-01-01", "reason": "DECEASED"}
    },
}
# Introspection is no field the compiled path builds: it prepares the request, gives up,
# and the resolver path runs it.
RESOLVER_QUERY = {"query": '{ __type(name: "Region") { name } region(code: "220000") { name } }'}
COMPILED_QUERY = {"query": 'query Named { region(code: "220000") { name code } }'}


class Counts:
    parses = 0
    validations = 0


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    counts = Counts()
    parse_document = Parser.parse_document
    validation_context = ValidationContext.__init__

    def counting_parse(self: Parser) -> Any:
        counts.parses += 1
        return parse_document(self)

    def counting_validation(self: ValidationContext, *args: Any, **kwargs: Any) -> None:
        counts.validations += 1
        validation_context(self, *args, **kwargs)

    monkeypatch.setattr(Parser, "parse_document", counting_parse)
    monkeypatch.setattr(ValidationContext, "__init__", counting_validation)
    yield counts


async def _sent(http: httpx.AsyncClient, counts: Counts, body: dict[str, Any], **kw: Any) -> Any:
    counts.parses = counts.validations = 0
    response = await http.post("/graphql", json=body, **kw)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("body", [MUTATION, RESOLVER_QUERY], ids=["mutation", "query"])
async def test_parsed_once_validated_once_then_neither(
    http: httpx.AsyncClient, settings: Settings, counted: Counts, body: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {issue_token(settings, 'front', 'admin')}"}
    answer = await _sent(http, counted, body, headers=headers)
    assert "errors" not in answer, answer
    assert (counted.parses, counted.validations) == (1, 1)
    again = await _sent(http, counted, body, headers=headers)
    assert "errors" not in again, again  # (a mutation's data differs: it ran before)
    assert (counted.parses, counted.validations) == (0, 0)


async def test_new_variables_are_checked_by_the_limits_alone(
    http: httpx.AsyncClient, counted: Counts
) -> None:
    """The same document with other variables: not parsed again, one validation (the
    limits' rules, which count `first: $n`), and a refusal by them is the only error."""
    query = "query Page($n: Int) { regions(first: $n) { nodes { name } } }"
    headers = {"x-registry-path": "resolver"}
    await _sent(http, counted, {"query": query, "variables": {"n": 2}}, headers=headers)
    assert (counted.parses, counted.validations) == (1, 1)
    refused = await _sent(http, counted, {"query": query, "variables": {"n": 500}}, headers=headers)
    assert (counted.parses, counted.validations) == (0, 1)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["PAGE_SIZE_LIMIT"]


async def test_the_compiled_path_reads_the_same_prepared_operation(
    http: httpx.AsyncClient, counted: Counts
) -> None:
    answer = await _sent(http, counted, COMPILED_QUERY)
    assert answer == {"data": {"region": {"name": "吉林省", "code": "220000"}}}
    assert (counted.parses, counted.validations) == (1, 1)
    # Over the resolver path, the document is the one the compiled path prepared.
    resolved = await _sent(http, counted, COMPILED_QUERY, headers={"x-registry-path": "resolver"})
    assert resolved == answer
    assert (counted.parses, counted.validations) == (0, 0)
