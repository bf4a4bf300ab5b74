"""One writer per output format; :mod:`tvips_ks.export.convert` picks one by suffix.

Each module has ``NAME``, ``SUFFIXES``, ``OPTIONS`` (its keyword options and
their defaults), ``check(job)`` (refuses what it cannot write, before anything
is created), ``write(temps, job)`` and optionally ``outputs(job)`` (the final
paths, when there is more than ``job.out``).
"""

from . import blo, hdf5, hspy, mrc, npy, smv, tiff, zarr

WRITERS = (npy, zarr, hdf5, blo, hspy, mrc, tiff, smv)
BY_NAME = {w.NAME: w for w in WRITERS}
BY_SUFFIX = {s: w for w in WRITERS for s in w.SUFFIXES}
ALIASES = {"h5": "hdf5", "tif": "tiff", "img": "smv", "zspy": "hspy"}  # .zspy: by the suffix
