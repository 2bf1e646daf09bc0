"""Resolvers and DataLoaders, one module per domain."""
