"""Small helpers shared across the package: atomic files, seeding."""
