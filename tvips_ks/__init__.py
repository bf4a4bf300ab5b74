"""tvips-ks: a spec-first reader and writer for the TVIPS camera stream format.

    import tvips_ks
    with tvips_ks.open("scan_000.tvips", scan_shape=(64, 64)) as ds:
        ds.header, ds.frame_headers, ds.data, ds.to_dask()
    tvips_ks.save("out.tvips", array)
    tvips_ks.convert(ds, "out.blo", binning=2, linscale=(0, 4000))  # .hspy .mrc .tif .img …

The format is described once, in spec/tvips.ksy; the parsers in
``tvips_ks.generated`` and the numpy layout used here are generated from it.
See docs/architecture.md for how the package is laid out.
"""

import sys as _sys

__version__ = "0.2.0"  # before the imports: modules of the package read it

from . import rsciio  # a drop-in for rsciio.tvips: tvips_ks.rsciio.file_reader
from .arrays import FrameStack, ScanArray
from .audit.check import check_series as _check_series
from .dataset import TvipsDataset, open
from .errors import (ArgumentError, HeaderError, MissingDependencyError, ScanDetectionError,
                     SeriesError, TruncatedRecordError, TruncatedRecordWarning, TvipsError,
                     TvipsWarning, WriteError)
from .examples import example_path
from .export.quicklook import QuickLook, quicklook
from .export.convert import convert
from .io.writer import save
from .scan.detect import ScanDetection, detect_scan
from .virtual import annulus_mask, disk_mask, virtual_diffraction, virtual_image

def validate(path, print_file=None) -> bool:
    """Check a whole series and print each problem found; True when there is none.

    The checks of ``tvips-ks check`` (:func:`tvips_ks.audit.check.check_series`):
    header, part numbering, whole records, counters, timestamps, rotator index.
    A series that cannot be read at all prints why and gives False.
    """
    out = _sys.stdout if print_file is None else print_file
    try:
        result = _check_series(path)
    except (TvipsError, OSError) as err:
        print(err, file=out)
        return False
    for problem in result.problems:
        print(problem, file=out)
    return result.ok


__all__ = [
    "open", "save", "convert", "validate", "detect_scan", "example_path", "quicklook", "QuickLook",
    "virtual_image", "virtual_diffraction", "disk_mask", "annulus_mask",
    "TvipsDataset", "FrameStack",
    "ScanArray", "ScanDetection", "rsciio", "TvipsError", "HeaderError", "SeriesError",
    "TruncatedRecordError", "ArgumentError", "ScanDetectionError", "WriteError",
    "MissingDependencyError", "TvipsWarning", "TruncatedRecordWarning",
]
