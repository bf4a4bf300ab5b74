#!/usr/bin/env python
"""atheris harness: tvips_ks.open and every read on fuzzed series (issue 9).

    pip install atheris
    python fuzz/fuzz_open.py -runs=100000              # no corpus needed
    python fuzz/fuzz_open.py fuzz/corpus -max_total_time=600 -rss_limit_mb=3072

Each input becomes a series in a scratch directory, in one of two ways chosen
by its first byte: *raw* (the bytes are cut into up to four parts as they are)
or *mutated* (a valid byte-built series from ``tests/builders.py`` damaged by
the byte flips, field overwrites, truncations, insertions, deletions and
removed parts the input describes; this reaches the reading code at once,
without a corpus).  The series is then opened (strict and permissive) and
read: frame headers, frames, a dask slice, metadata and scan detection
(``TVIPS_FUZZ_DETECT=0`` leaves detection out).  Only
``tvips_ks.TvipsError`` and ``OSError`` may escape; anything else, or any
warning other than a ``TvipsWarning``, is reported as a crash by libFuzzer.
See fuzz/README.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

with atheris.instrument_imports(include=["tvips_ks"]):
    import numpy as np

    import tvips_ks
    from tvips_ks import TvipsError, TvipsWarning

from builders import Series  # noqa: E402  (the independent byte-level builder)

BASES = [
    Series(len_frame_header=108, num_frames=8, frames_per_part=(3, 3, 2), width=4, height=3,
           bits_per_pixel=8, seed=1),
    Series(version=1, len_frame_header=0, num_frames=5, width=3, height=2, seed=2),
    Series(len_frame_header=60, num_frames=6, frames_per_part=(2, 4), width=2, height=2,
           bits_per_pixel=32, seed=3),
]
for _base in BASES:
    for _i, _values in enumerate(_base.header_values):
        if "scan_x" in _values:
            _values.update(scan_x=float(_i % 4), scan_y=float(_i // 4))
        if "rotator_index" in _values:
            _values["rotator_index"] = _i + 1
U4_VALUES = [0, 1, 2, 3, 7, 8, 11, 12, 16, 32, 64, 255, 256, 2**16, 2**31, 2**32 - 1]


BASE_PARTS = [b.part_bytes() for b in BASES]


def raw_parts(fdp) -> list[bytes | None]:
    count = fdp.ConsumeIntInRange(1, 4)
    cuts = sorted(fdp.ConsumeIntInRange(0, 1 << 16) for _ in range(count - 1))
    data = fdp.ConsumeBytes(fdp.remaining_bytes())
    bounds = [0, *(min(c, len(data)) for c in cuts), len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def mutated_parts(fdp) -> list[bytearray | None]:
    parts = [bytearray(p) for p in BASE_PARTS[fdp.ConsumeIntInRange(0, len(BASES) - 1)]]
    for _ in range(fdp.ConsumeIntInRange(1, 6)):
        if fdp.remaining_bytes() == 0:
            break
        kind = fdp.ConsumeIntInRange(0, 7)
        index = fdp.ConsumeIntInRange(0, len(parts) - 1)
        raw = parts[index]
        if raw is None:
            continue
        pos = (fdp.ConsumeIntInRange(0, 63) if fdp.ConsumeBool()
               else fdp.ConsumeIntInRange(0, 1 << 16))
        if kind == 0:
            parts[index] = None
        elif kind == 1:
            raw.clear()
        elif kind == 2:
            raw += fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 200))
        elif not raw:
            continue
        elif kind == 3:
            raw[pos % len(raw)] ^= fdp.ConsumeIntInRange(1, 255)
        elif kind == 4:
            at = 4 * fdp.ConsumeIntInRange(0, 12)
            value = (U4_VALUES[fdp.ConsumeIntInRange(0, len(U4_VALUES) - 1)]
                     if fdp.ConsumeBool() else fdp.ConsumeIntInRange(0, 2**32 - 1))
            if at + 4 <= len(raw):
                raw[at:at + 4] = value.to_bytes(4, "little")
        elif kind == 5:
            del raw[pos % len(raw):]
        elif kind == 6:
            at = pos % len(raw)
            raw[at:at] = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 40))
        else:
            at = pos % len(raw)
            del raw[at:at + fdp.ConsumeIntInRange(1, 300)]
    return parts


SCRATCH = Path(tempfile.mkdtemp(prefix="tvips-fuzz-", dir="/dev/shm" if os.path.isdir(
    "/dev/shm") else None))


def write_series(parts) -> Path:
    for old in SCRATCH.iterdir():
        old.unlink()
    for index, raw in enumerate(parts):
        if raw is not None:
            (SCRATCH / f"f_{index:03d}.tvips").write_bytes(bytes(raw))
    return SCRATCH / "f_000.tvips"


OPTIONS = [{}, {"permissive": True}]
if os.environ.get("TVIPS_FUZZ_DETECT", "1") != "0":
    OPTIONS.append({"permissive": True, "scan_shape": "auto"})


def exercise(path: Path) -> None:
    for kwargs in OPTIONS:
        try:
            with tvips_ks.open(path, **kwargs) as ds:
                headers = ds.frame_headers
                assert headers.shape == (ds.num_frames,)
                np.asarray(ds.frames[:2])
                first = np.asarray(ds.data[:2])  # the frames, or the scan's first rows
                assert np.array_equal(first, ds.to_dask()[:2].compute(scheduler="sync"))
                ds.metadata
        except (TvipsError, OSError):
            pass


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    parts = mutated_parts(fdp) if fdp.ConsumeBool() else raw_parts(fdp)
    path = write_series(parts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", TvipsWarning)
        exercise(path)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    try:
        atheris.Fuzz()
    finally:
        for old in SCRATCH.iterdir():
            old.unlink()
        SCRATCH.rmdir()


if __name__ == "__main__":
    main()
