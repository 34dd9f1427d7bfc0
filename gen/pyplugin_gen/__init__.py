# SPDX-License-Identifier: BSD-3-Clause
"""pyplugin-gen: nbdkit plugins compiled from Python scripts."""
