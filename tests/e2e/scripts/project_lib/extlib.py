VALUE = "extlib on PYTHONPATH"
