"""Imports of catalog releases from above, and bulk re-imports of items."""
