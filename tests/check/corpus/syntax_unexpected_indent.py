# Indentation errors are syntax errors too.
API_VERSION = 2

  def open(readonly):
    return 1

# expect: 4:2: error: unexpected indent
# SPDX-License-Identifier: BSD-3-Clause
