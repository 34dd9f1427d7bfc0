VALUE = "extlib on PYTHONPATH"
# SPDX-License-Identifier: BSD-3-Clause
