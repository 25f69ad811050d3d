"""Thin controllers: parse the request, call a core service, render the result."""
