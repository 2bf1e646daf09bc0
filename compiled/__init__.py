"""The compiled read path: one SQL statement per root field, with PostgreSQL building the
JSON answer, beside the resolver path (strawberry's executor with DataLoaders).

Both paths read the same specs (resolvers.relations), declared once on the schema's fields
(schema.fields.relation) and read here off strawberry's type definitions (compiled.declared):
the loaders' SQL serves the resolver path batch by batch, and the compiled path nests the
very same queries as correlated subqueries (compiled.relations, compiled.roots). Anything
the compiler does not cover (mutations, reports, errors, fields with hand-written
resolvers) is left to the resolver path.
"""
