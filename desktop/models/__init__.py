"""Models: the catalog, what is installed, downloads, files from disk, and first-run setup
(tiers and the self-test; docs/models.md)."""
