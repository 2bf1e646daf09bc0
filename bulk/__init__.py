"""Bulk import and export, one module per domain (deputies, stations, groups, attendance),
on shared modules for files (files, parse, values, columns), problems, staging and streams.

Stands on core, db and resolvers (the rules of db.rules, the mutations' Problem shape);
the HTTP routes that call it are service's.
"""
