"""The floor every layer may stand on: settings, the caller, the request context, permissions."""
