"""The front of a GraphQL request: its one parse and one validation, the request limits
among the rules (prepare: OperationFront, the cache, strawberry's hooks; rules: the
limits as validation rules; measure: the walk that measures an operation; budgets: the
limits and their errors).

The limits: tokens, depth, aliases, page sizes and a computed cost. They are checked
once per request: the size before the text is lexed, the tokens by the parse itself
(graphql-core's `max_tokens`), the others as validation rules in the one validation of
the document (service.front.rules), so that both read paths, the WebSocket included,
refuse exactly the same requests.

How the numbers are counted:

- document size: the `query` string's UTF-8 bytes, checked first: nothing larger is lexed.
- tokens: GraphQL lexical tokens (names, punctuation, values) and comments, which cost the
  lexer as much; the parse stops at the limit (graphql-core's `max_tokens`), and only a
  document refused so is lexed again, up to TOKEN_COUNT_REACH times the limit, to say by
  how much it is over.
- depth: levels of nested selection sets below the root fields: `{ region { name } }` has
  depth 1. `ofType` does not count: the introspection query follows type wrappers through
  a chain of `ofType` fields that never fans out.
- aliases: aliased fields in the operation, a fragment counted each time it is spread.
- page size: `first` at most `max_page_size`, and `nodes(ids:)` at most as many IDs.
- cost: the sum, over every list in the selection tree, of the number of items it may
  return multiplied by those of the lists it sits in. A field with a `first` argument (a
  connection) returns `first` items (literal or variable; `default_page_size` when not
  given); the `nodes`/`edges` of a connection are that same list, not counted again.
  `nodes(ids:)` returns one item per ID. Any other list of objects (`mandates`,
  `members`, `ancestors`, `terms`, ...) counts as LIST_ESTIMATE items; `__schema.types` as
  the number of types in the schema. Scalars and single objects cost nothing themselves.
  E.g. `regions(first: 100) { nodes { children(first: 50) { nodes { ancestors { name } } } } }`
  costs 100 + 100*50 + 100*50*10 = 55,100.
- strings: every string value, literal or in the variables, is refused if it holds a NUL
  character (PostgreSQL cannot store one) or is longer than `max_string_length`; a string
  given as (or inside) a `search` argument or input field, longer than `max_search_length`.
"""

from __future__ import annotations

from service.front.prepare import OperationFront, PreparedOperations, front_of, guard_schema

__all__ = ["OperationFront", "PreparedOperations", "front_of", "guard_schema"]
