# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class Tvips(KaitaiStruct):
    """The stream format that TVIPS cameras (TemCam F416, XF416 and others) write
    during in-situ, 4D-STEM, precession and MicroED acquisitions.
    
    An acquisition is a series of files `name_000.tvips`, `name_001.tvips`, …
    The acquisition software starts a new file when the current one reaches a
    size cap. Only the first file, `_000`, begins with the 256-byte main header;
    every file then holds a run of fixed-size records, and no record crosses a
    file boundary. A record is a frame header followed by one image. Nothing in
    the files records the number of frames or the scan shape: both follow from
    the file sizes and from per-frame fields (`rotator_index`, `scan_x`,
    `scan_y`).
    
    A single file without a part number, `name.tvips`, is a series of one part:
    it is laid out exactly like a `_000` file (main header, then records), at
    any size. Such files exist: the MicroED deposit Zenodo 10995139 (XF416
    camera, 300 kV, CC-BY-4.0) holds four files `…_series1.tvips` …
    `…_series4.tvips`, no `_NNN` part among them; one of them is 2,357,249,684
    bytes = 256 + 281 × (180 + 2048 × 2048 × 2), one whole, unsplit series of
    281 frames (the depositors may have renamed them). pyautoprocess (Nelson
    lab) reads one file of this kind, and its tests name them without a part
    number. RosettaSciIO, TVIPSconverter and TVIPS's `recorder` script accept
    only a name ending in `_000.tvips`; Leginon finds the first part by
    `_000.tvips` in its name, although a docstring of its upload code names
    EM-MENU sets `Image%03d.tvips`. When `name_000.tvips` exists beside
    `name.tvips`, the numbered series is the one to read.
    
    This top-level type reads the first file of a series (or the single file).
    A continuation file (`_001`, `_002`, …) is read with the type
    `continuation_part`, given the main header of `_000`.
    
    All values are little-endian and packed. No official TVIPS description of
    the format is public; the layout here is the one every known reader agrees
    on (RosettaSciIO, LiberTEM, TVIPSconverter, the TVIPS `recorder` script).
    Field names follow those readers; the vendor names, as LiberTEM gives them,
    are kept in `-orig-id`. Where sources disagree on a meaning, the field's
    `doc` says so.
    
    Readers that read the same bytes differently: Leginon (`pyami/tvips.py`)
    reads the main header as signed 32-bit integers and pixels as signed 8- or
    16-bit integers, and takes the frame-header size from offset 48 whatever
    the version; TVIPS's `recorder` script (2018) shapes each image as
    (`width`, `height`) rows × columns, transposed for non-square images, and
    cannot read version 1.
    
    .. seealso::
       Source - https://github.com/hyperspy/rosettasciio/blob/main/rsciio/tvips/_api.py
    
    
    .. seealso::
       Source - https://github.com/LiberTEM/LiberTEM/blob/master/src/libertem/io/dataset/tvips.py
    
    
    .. seealso::
       BIR-MicroED deposit (XF416, 300 kV, CC-BY-4.0) with un-numbered single-file series - https://doi.org/10.5281/zenodo.10995139
    
    
    .. seealso::
       third-party analysis giving the deposit's first 256 bytes - https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json
    
    
    .. seealso::
       the deposit's MATLAB reader (180-byte XF416 frame headers) - https://github.com/nwvlahakis/BIR-MicroED-analysis-scripts/blob/0f1457a53734194eeedc7f9eb48c5aa21b66d93a/imageconversion_and_Braggintensityanalyses/read_tvips.m
    
    
    .. seealso::
       Leginon's reader (Apache-2.0) - https://github.com/leginon-org/leginon/blob/50a2c706cff625fc4f861b12fcbfe969e961f9d4/pyami/tvips.py
    
    
    .. seealso::
       TVIPS's recorder script (Marco Oster/TVIPS 2018, v0.6.8) - https://github.com/din14970/TVIPSconverter/blob/d1f2a6303829788a98090ce58623f0d02640bd6d/Original/tvips.utils/utils/recorder.py
    
    
    .. seealso::
       pyautoprocess's reader - https://github.com/theNelsonLab/autoprocess/blob/8d96b2365cbddcbfb8ee4c3b400eba15f00c656d/src/pyautoprocess/tvips.py
    """

    class TemMode(IntEnum):
        imaging = 1
        diffraction = 2
    def __init__(self, _io, _parent=None, _root=None):
        super(Tvips, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.header = Tvips.MainHeader(self._io, self, self._root)
        self.records = []
        i = 0
        while not self._io.is_eof():
            self.records.append(Tvips.Record(self.header, self._io, self, self._root))
            i += 1



    def _fetch_instances(self):
        pass
        self.header._fetch_instances()
        for i in range(len(self.records)):
            pass
            self.records[i]._fetch_instances()


    class ContinuationPart(KaitaiStruct):
        """A continuation file of a series (`_001`, `_002`, …): records only, no
        main header. The layout of its records comes from the main header of
        the series' `_000` file, passed as a parameter.
        """
        def __init__(self, header, _io, _parent=None, _root=None):
            super(Tvips.ContinuationPart, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.header = header
            self._read()

        def _read(self):
            self.records = []
            i = 0
            while not self._io.is_eof():
                self.records.append(Tvips.Record(self.header, self._io, self, self._root))
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.records)):
                pass
                self.records[i]._fetch_instances()



    class FrameHeader(KaitaiStruct):
        """The header before each image. Version 1 has the first three fields
        only (12 bytes). Version 2 headers are `len_frame_header` bytes long;
        the fields below exist only when the header is long enough to hold them
        whole, and whatever follows the last whole field is `padding`.
        
        RosettaSciIO, TVIPSconverter and the TVIPS `recorder` script know the
        first 60 bytes; LiberTEM knows 108 (the fields from `dens_power` on are
        its names). Bytes beyond 108 are site- or software-specific.
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Tvips.FrameHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.counter = self._io.read_u4le()
            self.timestamp_s = self._io.read_u4le()
            self.timestamp_ms = self._io.read_u4le()
            if self._io.size() >= 16:
                pass
                self.lut_index = self._io.read_u4le()

            if self._io.size() >= 20:
                pass
                self.faraday = self._io.read_f4le()

            if self._io.size() >= 24:
                pass
                self.tem_magnification = self._io.read_u4le()

            if self._io.size() >= 28:
                pass
                self.tem_mode = KaitaiStream.resolve_enum(Tvips.TemMode, self._io.read_u4le())

            if self._io.size() >= 32:
                pass
                self.stage_x = self._io.read_f4le()

            if self._io.size() >= 36:
                pass
                self.stage_y = self._io.read_f4le()

            if self._io.size() >= 40:
                pass
                self.stage_z = self._io.read_f4le()

            if self._io.size() >= 44:
                pass
                self.stage_alpha = self._io.read_f4le()

            if self._io.size() >= 48:
                pass
                self.stage_beta = self._io.read_f4le()

            if self._io.size() >= 52:
                pass
                self.rotator_index = self._io.read_u4le()

            if self._io.size() >= 56:
                pass
                self.dens_temperature = self._io.read_f4le()

            if self._io.size() >= 60:
                pass
                self.dens_temperature_setpoint = self._io.read_f4le()

            if self._io.size() >= 64:
                pass
                self.dens_power = self._io.read_f4le()

            if self._io.size() >= 68:
                pass
                self.objective_current = self._io.read_f4le()

            if self._io.size() >= 72:
                pass
                self.scan_x = self._io.read_f4le()

            if self._io.size() >= 76:
                pass
                self.scan_y = self._io.read_f4le()

            if self._io.size() >= 80:
                pass
                self.dens_bias_u_setpoint = self._io.read_f4le()

            if self._io.size() >= 84:
                pass
                self.dens_bias_u = self._io.read_f4le()

            if self._io.size() >= 88:
                pass
                self.dens_bias_i_setpoint = self._io.read_f4le()

            if self._io.size() >= 92:
                pass
                self.dens_bias_i = self._io.read_f4le()

            if self._io.size() >= 96:
                pass
                self.dens_bias_e_setpoint = self._io.read_f4le()

            if self._io.size() >= 100:
                pass
                self.dens_bias_r = self._io.read_f4le()

            if self._io.size() >= 104:
                pass
                self.dens_bias_limit_u = self._io.read_f4le()

            if self._io.size() >= 108:
                pass
                self.dens_bias_limit_i = self._io.read_f4le()

            self.padding = self._io.read_bytes_full()


        def _fetch_instances(self):
            pass
            if self._io.size() >= 16:
                pass

            if self._io.size() >= 20:
                pass

            if self._io.size() >= 24:
                pass

            if self._io.size() >= 28:
                pass

            if self._io.size() >= 32:
                pass

            if self._io.size() >= 36:
                pass

            if self._io.size() >= 40:
                pass

            if self._io.size() >= 44:
                pass

            if self._io.size() >= 48:
                pass

            if self._io.size() >= 52:
                pass

            if self._io.size() >= 56:
                pass

            if self._io.size() >= 60:
                pass

            if self._io.size() >= 64:
                pass

            if self._io.size() >= 68:
                pass

            if self._io.size() >= 72:
                pass

            if self._io.size() >= 76:
                pass

            if self._io.size() >= 80:
                pass

            if self._io.size() >= 84:
                pass

            if self._io.size() >= 88:
                pass

            if self._io.size() >= 92:
                pass

            if self._io.size() >= 96:
                pass

            if self._io.size() >= 100:
                pass

            if self._io.size() >= 104:
                pass

            if self._io.size() >= 108:
                pass


        @property
        def len_core(self):
            """Size of the frame header that every known reader understands
            (RosettaSciIO, TVIPSconverter, the TVIPS `recorder` script): the
            fields up to `dens_temperature_setpoint`. HyperSpy's writer writes
            version 2 frame headers of this size.
            """
            if hasattr(self, '_m_len_core'):
                return self._m_len_core

            self._m_len_core = 60
            return getattr(self, '_m_len_core', None)


    class MainHeader(KaitaiStruct):
        """The 256-byte header at the start of the `_000` file. It fixes the
        layout of every record of the series.
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(Tvips.MainHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.len_header = self._io.read_u4le()
            if not self.len_header == 256:
                raise kaitaistruct.ValidationNotEqualError(256, self.len_header, self._io, u"/types/main_header/seq/0")
            self.version = self._io.read_u4le()
            if not  ((self.version == 1) or (self.version == 2)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.version, self._io, u"/types/main_header/seq/1")
            self.width = self._io.read_u4le()
            if not self.width >= 1:
                raise kaitaistruct.ValidationLessThanError(1, self.width, self._io, u"/types/main_header/seq/2")
            self.height = self._io.read_u4le()
            if not self.height >= 1:
                raise kaitaistruct.ValidationLessThanError(1, self.height, self._io, u"/types/main_header/seq/3")
            self.bits_per_pixel = self._io.read_u4le()
            if not  ((self.bits_per_pixel == 8) or (self.bits_per_pixel == 16) or (self.bits_per_pixel == 32) or (self.bits_per_pixel == 64)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.bits_per_pixel, self._io, u"/types/main_header/seq/4")
            self.offset_x = self._io.read_u4le()
            self.offset_y = self._io.read_u4le()
            self.bin_x = self._io.read_u4le()
            self.bin_y = self._io.read_u4le()
            self.pixel_size_nm = self._io.read_u4le()
            self.high_tension_kv = self._io.read_u4le()
            self.mag_total = self._io.read_u4le()
            self.len_frame_header = self._io.read_u4le()
            _ = self.len_frame_header
            if not  ((self.version == 1) or (_ >= 12)) :
                raise kaitaistruct.ValidationExprError(self.len_frame_header, self._io, u"/types/main_header/seq/12")
            self.filler = self._io.read_bytes(204)


        def _fetch_instances(self):
            pass

        @property
        def bytes_per_pixel(self):
            """Size of one pixel in bytes."""
            if hasattr(self, '_m_bytes_per_pixel'):
                return self._m_bytes_per_pixel

            self._m_bytes_per_pixel = self.bits_per_pixel // 8
            return getattr(self, '_m_bytes_per_pixel', None)

        @property
        def len_frame_header_in_use(self):
            """Size of each frame header in this series, in bytes."""
            if hasattr(self, '_m_len_frame_header_in_use'):
                return self._m_len_frame_header_in_use

            self._m_len_frame_header_in_use = (12 if self.version == 1 else self.len_frame_header)
            return getattr(self, '_m_len_frame_header_in_use', None)

        @property
        def len_image(self):
            """Size of one image in bytes."""
            if hasattr(self, '_m_len_image'):
                return self._m_len_image

            self._m_len_image = (self.width * self.height) * self.bytes_per_pixel
            return getattr(self, '_m_len_image', None)

        @property
        def len_record(self):
            """Size of one record (frame header and image) in bytes."""
            if hasattr(self, '_m_len_record'):
                return self._m_len_record

            self._m_len_record = self.len_frame_header_in_use + self.len_image
            return getattr(self, '_m_len_record', None)


    class Record(KaitaiStruct):
        """One frame of the series, its frame header then its image."""
        def __init__(self, header, _io, _parent=None, _root=None):
            super(Tvips.Record, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.header = header
            self._read()

        def _read(self):
            self._raw_frame_header = self._io.read_bytes(self.header.len_frame_header_in_use)
            _io__raw_frame_header = KaitaiStream(BytesIO(self._raw_frame_header))
            self.frame_header = Tvips.FrameHeader(_io__raw_frame_header, self, self._root)
            self.image = self._io.read_bytes(self.header.len_image)


        def _fetch_instances(self):
            pass
            self.frame_header._fetch_instances()



