"""Pictures of PET volumes for people: views (axial slice, coronal MIP), a display window, an 8-bit PNG encoder.

Pure functions over numpy arrays, no I/O: the report page (:mod:`service.report`) reads the series and calls them.
"""
