# -*- coding: klingon -*-
# An encoding Python does not know.
API_VERSION = 2

# expect: 1:15: error: cannot decode script: unknown encoding: klingon
# SPDX-License-Identifier: BSD-3-Clause
