"""Writes: one module per domain. Each domain function validates everything first, raises
`Invalid` with every problem found (nothing is written then), and otherwise writes its rows
and an audit entry inside the caller's transaction."""
