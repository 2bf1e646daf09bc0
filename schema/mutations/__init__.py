"""Mutations, one module per domain; each takes one `input` and returns a payload with userErrors."""
