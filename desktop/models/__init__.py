"""Models: the catalog, what is installed, downloads (later) and the CPU budget."""
