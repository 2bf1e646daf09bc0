"""The compiled read path: one SQL statement per root field, with PostgreSQL building the
JSON answer, beside the resolver path (strawberry's executor with DataLoaders).

Both paths read the same relation specs (`compiled.relations`), which name the loaders of
`resolvers/*`: the loaders' SQL serves the resolver path batch by batch, and the compiled
path nests the very same queries as correlated subqueries. Anything the compiler does not
cover (mutations, reports, errors, unknown fields) is left to the resolver path.
"""
