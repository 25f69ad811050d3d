"""家门口办: items handled at the service points below the county, against their targets."""
