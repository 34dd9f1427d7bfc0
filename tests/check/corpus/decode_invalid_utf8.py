# No coding line, so the source must be UTF-8; 0xe9 is Latin-1 for e-acute.
API_VERSION = 2
longname = "café"

# expect: 3:16: error: cannot decode script as utf-8: invalid continuation byte (byte 0xe9); declare the encoding with a '# -*- coding: NAME -*-' line (PEP 263)
# SPDX-License-Identifier: BSD-3-Clause
