import os

# What numpy.__config__ does: a path made from __file__ at import time,
# only looked at.
HERE = os.path.dirname(__file__)
SEEN = os.path.isdir(os.path.join(HERE, ".libs"))
# SPDX-License-Identifier: BSD-3-Clause
