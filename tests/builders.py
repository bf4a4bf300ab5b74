"""Build TVIPS series byte by byte, independently of tvips_ks.

The tests use these as ground truth, so nothing here imports the library: the
layout is restated from the research notes with ``struct`` and numpy, and
a test that compares the library with these builders compares two
independent descriptions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAIN_FORMAT = "<13I204s"  # ISize … IImgHeaderBytes, then the filler
MAIN_NAMES = ("len_header", "version", "width", "height", "bits_per_pixel", "offset_x",
              "offset_y", "bin_x", "bin_y", "pixel_size_nm", "high_tension_kv", "mag_total",
              "len_frame_header")
# (name, struct code, offset) of every known frame-header field
FRAME_FIELDS = [
    ("counter", "I", 0), ("timestamp_s", "I", 4), ("timestamp_ms", "I", 8),
    ("lut_index", "I", 12), ("faraday", "f", 16), ("tem_magnification", "I", 20),
    ("tem_mode", "I", 24), ("stage_x", "f", 28), ("stage_y", "f", 32), ("stage_z", "f", 36),
    ("stage_alpha", "f", 40), ("stage_beta", "f", 44), ("rotator_index", "I", 48),
    ("dens_temperature", "f", 52), ("dens_temperature_setpoint", "f", 56),
    ("dens_power", "f", 60), ("objective_current", "f", 64), ("scan_x", "f", 68),
    ("scan_y", "f", 72), ("dens_bias_u_setpoint", "f", 76), ("dens_bias_u", "f", 80),
    ("dens_bias_i_setpoint", "f", 84), ("dens_bias_i", "f", 88),
    ("dens_bias_e_setpoint", "f", 92), ("dens_bias_r", "f", 96),
    ("dens_bias_limit_u", "f", 100), ("dens_bias_limit_i", "f", 104),
]


#: The first 256 bytes of the XF416 MicroED series in Zenodo record 10995139
#: (`…_series1.tvips`, 2,357,249,684 bytes), as published by a third-party
#: analysis (jhin0410-lgtm/materials-characterization-analyzer,
#: case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json):
#: every field below, and a filler whose SHA-256 is that of 204 zero bytes.
XF416_MAIN = dict(len_header=256, version=2, width=2048, height=2048, bits_per_pixel=16,
                  offset_x=0, offset_y=0, bin_x=2, bin_y=2, pixel_size_nm=15500,
                  high_tension_kv=300, mag_total=0, len_frame_header=180)
XF416_FILLER = bytes(204)
#: The deposit file's size and frame count: 256 + 281 × (180 + 2048 × 2048 × 2).
XF416_FILE_SIZE = 2_357_249_684
XF416_FRAMES = 281


def xf416_standin(num_frames: int = 5, width: int = 16, height: int = 16,
                  seed: int = 14) -> "Series":
    """A small stand-in of the XF416 file: its main header with small frames.

    Kept from the deposit: version 2, 16 bits, 180-byte frame headers, a zero
    filler, bin 2×2, pixel_size_nm 15500 (the unbinned detector pixel), 300 kV,
    mag_total 0. Its frame headers were not published; they are filled as a
    selected-area diffraction series at 1 frame/s would be (tem_mode 2, counter
    1…N, one second apart, no rotator, no stage or holder values), and bytes
    108–180 (beyond every known field) are random, as site-specific bytes would be.
    """
    zero = {n: 0 for n, _, _ in FRAME_FIELDS}
    zero.update(counter=list(range(1, num_frames + 1)),
                timestamp_s=[1_713_400_000 + i for i in range(num_frames)],
                timestamp_ms=0, tem_mode=2)
    main = dict(XF416_MAIN, width=width, height=height)
    return Series(version=2, width=width, height=height, bits_per_pixel=16,
                  len_frame_header=180, num_frames=num_frames, seed=seed, main=main,
                  filler=XF416_FILLER, frames=zero)


def fields_in(len_frame_header: int):
    return [(n, c, o) for n, c, o in FRAME_FIELDS if o + 4 <= len_frame_header]


@dataclass
class Series:
    """A series to build, and what a reader must find in it."""

    version: int = 2
    width: int = 5
    height: int = 4
    bits_per_pixel: int = 16
    len_frame_header: int = 60   # the field's value; version 1 uses 12 regardless
    num_frames: int = 6
    frames_per_part: tuple = ()  # e.g. (1, 3, 2); empty: one part
    seed: int = 0
    main: dict = field(default_factory=dict)
    filler: bytes = b"TVIPS " * 34
    frames: dict = field(default_factory=dict)  # frame-header field -> scalar or per-frame values

    def __post_init__(self):
        rng = np.random.default_rng(self.seed)
        dtype = np.dtype(f"<u{self.bits_per_pixel // 8}")
        self.images = rng.integers(0, np.iinfo(dtype).max, (self.num_frames, self.height,
                                   self.width), dtype=dtype, endpoint=True)
        self.header_values = []
        for i in range(self.num_frames):
            values = {}
            for name, code, offset in fields_in(self.len_in_use):
                if code == "I":
                    values[name] = int(rng.integers(0, 2**32 - 1))
                else:  # exactly representable float32 values
                    values[name] = float(np.float32(rng.integers(-4096, 4096) / 8))
            values["timestamp_ms"] = i % 1000 if "timestamp_ms" in values else None
            for name, value in self.frames.items():
                if name in values:
                    values[name] = value[i] if np.ndim(value) else value
            self.header_values.append(values)
        self.padding = [rng.bytes(self.len_in_use - self.known_end) for _ in range(self.num_frames)]
        self.main_values = dict(len_header=256, version=self.version, width=self.width,
                                height=self.height, bits_per_pixel=self.bits_per_pixel,
                                offset_x=3, offset_y=4, bin_x=2, bin_y=2, pixel_size_nm=15600,
                                high_tension_kv=300, mag_total=250,
                                len_frame_header=self.len_frame_header)
        self.main_values.update(self.main)

    @property
    def len_in_use(self) -> int:
        return 12 if self.version == 1 else self.len_frame_header

    @property
    def known_end(self) -> int:
        return max((o + 4 for _, _, o in fields_in(self.len_in_use)), default=0)

    @property
    def len_record(self) -> int:
        return self.len_in_use + self.images[0].nbytes

    def main_header_bytes(self) -> bytes:
        return struct.pack(MAIN_FORMAT, *(self.main_values[n] for n in MAIN_NAMES),
                           self.filler[:204].ljust(204, b"\0"))

    def record_bytes(self, i: int) -> bytes:
        header = bytearray(self.len_in_use)
        for name, code, offset in fields_in(self.len_in_use):
            struct.pack_into("<" + code, header, offset, self.header_values[i][name])
        header[self.known_end:] = self.padding[i]
        return bytes(header) + self.images[i].astype(self.images.dtype.newbyteorder("<")).tobytes()

    def part_bytes(self) -> list[bytearray]:
        """The bytes of each part: the main header in the first, then whole records."""
        counts = list(self.frames_per_part) or [self.num_frames]
        assert sum(counts) == self.num_frames
        parts, frame = [], 0
        for index, count in enumerate(counts):
            raw = bytearray(self.main_header_bytes() if index == 0 else b"")
            for i in range(frame, frame + count):
                raw += self.record_bytes(i)
            frame += count
            parts.append(raw)
        return parts

    def write(self, directory: Path, stem: str = "series", ext: str = ".tvips") -> list[Path]:
        paths = []
        for index, raw in enumerate(self.part_bytes()):
            path = Path(directory) / f"{stem}_{index:03d}{ext}"
            path.write_bytes(raw)
            paths.append(path)
        return paths

    def write_single(self, directory: Path, name: str = "series.tvips") -> Path:
        """Write the whole series as one file without a part number (``name``).

        Laid out like a ``_000`` part: the main header, then every record.
        """
        assert not self.frames_per_part, "a single file holds every frame"
        path = Path(directory) / name
        path.write_bytes(self.part_bytes()[0])
        return path

    def write_sparse(self, path: Path, total_frames: int) -> list[int]:
        """One file of ``total_frames`` records, holding this series' records sparsely.

        Record 0 goes to frame 0 and the others to the last frames of the file;
        the records between are holes (zero bytes, no disk space). Returns the
        frame number each of this series' records landed at.
        """
        assert total_frames >= self.num_frames
        at = [0] + list(range(total_frames - self.num_frames + 1, total_frames))
        with open(path, "wb") as f:
            f.write(self.main_header_bytes())
            f.truncate(len(self.main_header_bytes()) + total_frames * self.len_record)
            for i, frame in enumerate(at):
                f.seek(len(self.main_header_bytes()) + frame * self.len_record)
                f.write(self.record_bytes(i))
        return at

    def expected_frame_headers(self) -> dict:
        """Field name → list of values over all frames."""
        names = [n for n, _, _ in fields_in(self.len_in_use)]
        return {n: [v[n] for v in self.header_values] for n in names}
