"""The ASGI application, its configuration and the command line."""
