# SPDX-License-Identifier: BSD-3-Clause
"""python3 -m pyplugin_gen: the pyplugin-gen command."""

import sys

from .cli import main

sys.exit(main())
