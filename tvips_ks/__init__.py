"""tvips-ks: a spec-first reader and writer for the TVIPS camera stream format.

    import tvips_ks
    with tvips_ks.open("scan_000.tvips", scan_shape=(64, 64)) as ds:
        ds.header, ds.frame_headers, ds.data, ds.to_dask()
    tvips_ks.save("out.tvips", array)

The format is described once, in spec/tvips.ksy; the parsers in
``tvips_ks.generated`` and the numpy layout used here are generated from it.
"""

from .dataset import ScanArray, TvipsDataset, open
from .errors import (ArgumentError, HeaderError, ScanDetectionError, SeriesError,
                     TruncatedRecordError, TruncatedRecordWarning, TvipsError, TvipsWarning)
from .writer import save
from . import rsciio  # noqa: E402  (a drop-in for rsciio.tvips: tvips_ks.rsciio.file_reader)


def detect_scan(ds, frames=None, *, image_content=None):
    """Detect the scan of a dataset (see :func:`tvips_ks.detect.detect_scan`)."""
    from .detect import detect_scan as _detect

    return _detect(ds, frames=frames, image_content=image_content)


def validate(path, print_file=None) -> bool:
    """Check a whole series and print each problem found; True when there is none.

    The checks of ``tvips-ks check`` (:func:`tvips_ks.check.check_series`):
    header, part numbering, whole records, counters, timestamps, rotator index.
    A series that cannot be read at all prints why and gives False.
    """
    import sys

    from .check import check_series

    out = sys.stdout if print_file is None else print_file
    try:
        result = check_series(path)
    except (TvipsError, OSError) as err:
        print(err, file=out)
        return False
    for problem in result.problems:
        print(problem, file=out)
    return result.ok


def example_path():
    """Path of the small example series shipped with the package (its ``_000`` part)."""
    from importlib.resources import files

    return files("tvips_ks.examples").joinpath("example_000.tvips")


__version__ = "0.1.0"

__all__ = [
    "open", "save", "validate", "detect_scan", "example_path", "TvipsDataset", "ScanArray",
    "TvipsError", "HeaderError", "SeriesError", "TruncatedRecordError", "ArgumentError",
    "ScanDetectionError", "TvipsWarning", "TruncatedRecordWarning",
]
