"""pyplugin-gen: nbdkit plugins compiled from Python scripts."""
