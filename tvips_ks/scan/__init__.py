"""Scans: which frame of a series sits at which scan position.

* :mod:`.options`: the scan options, validated once (:class:`ScanOptions`);
* :mod:`.arrange`: position → frame maps from options or a rotator index;
* :mod:`.vbf`: the virtual bright field, the cheapest image of a scan;
* :mod:`.signals`, :mod:`.layouts`: the virtual detectors and the layout scores of
  image-content detection;
* :mod:`.detect`: automatic detection, by scan positions (:mod:`.positions`),
  rotator index (:mod:`.rotator`) or image content (:mod:`.content`).
"""

from .arrange import apply_winding, index_map_from_rotator, scan_index_map
from .detect import ScanDetection, detect_scan
from .options import ScanOptions
from .vbf import disk_mask, virtual_bright_field

__all__ = ["ScanOptions", "ScanDetection", "detect_scan", "scan_index_map", "apply_winding",
           "index_map_from_rotator", "virtual_bright_field", "disk_mask"]
