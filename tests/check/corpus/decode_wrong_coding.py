# -*- coding: ascii -*-
# The declared encoding (PEP 263) cannot decode this file.
API_VERSION = 2
longname = "café"

# expect: 4:16: error: cannot decode script as ascii: ordinal not in range(128) (byte 0xc3); declare the encoding with a '# -*- coding: NAME -*-' line (PEP 263)
# SPDX-License-Identifier: BSD-3-Clause
