"""Bundles (一件事一次办): several items joined with one form and merged materials.

``services`` sets them up (tenant administrator, big-data centre), ``merge``
makes the one set of materials, ``guide`` builds the bundle's guide from its
items' published versions, ``demo`` sets up the demo's bundles.
"""
