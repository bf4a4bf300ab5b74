# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import IntEnum
import collections


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
    SEQ_FIELDS = ["header", "records"]
    def __init__(self, _io, _parent=None, _root=None):
        super(Tvips, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._debug = collections.defaultdict(dict)
        self._read()

    def _read(self):
        self._debug['header']['start'] = self._io.pos()
        self.header = Tvips.MainHeader(self._io, self, self._root)
        self._debug['header']['end'] = self._io.pos()
        self._debug['records']['start'] = self._io.pos()
        self._debug['records']['arr'] = []
        self.records = []
        i = 0
        while not self._io.is_eof():
            self._debug['records']['arr'].append({'start': self._io.pos()})
            self.records.append(Tvips.Record(self.header, self._io, self, self._root))
            self._debug['records']['arr'][len(self.records) - 1]['end'] = self._io.pos()
            i += 1

        self._debug['records']['end'] = self._io.pos()


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
        SEQ_FIELDS = ["records"]
        def __init__(self, header, _io, _parent=None, _root=None):
            super(Tvips.ContinuationPart, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.header = header
            self._debug = collections.defaultdict(dict)
            self._read()

        def _read(self):
            self._debug['records']['start'] = self._io.pos()
            self._debug['records']['arr'] = []
            self.records = []
            i = 0
            while not self._io.is_eof():
                self._debug['records']['arr'].append({'start': self._io.pos()})
                self.records.append(Tvips.Record(self.header, self._io, self, self._root))
                self._debug['records']['arr'][len(self.records) - 1]['end'] = self._io.pos()
                i += 1

            self._debug['records']['end'] = self._io.pos()


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
        SEQ_FIELDS = ["counter", "timestamp_s", "timestamp_ms", "lut_index", "faraday", "tem_magnification", "tem_mode", "stage_x", "stage_y", "stage_z", "stage_alpha", "stage_beta", "rotator_index", "dens_temperature", "dens_temperature_setpoint", "dens_power", "objective_current", "scan_x", "scan_y", "dens_bias_u_setpoint", "dens_bias_u", "dens_bias_i_setpoint", "dens_bias_i", "dens_bias_e_setpoint", "dens_bias_r", "dens_bias_limit_u", "dens_bias_limit_i", "padding"]
        def __init__(self, _io, _parent=None, _root=None):
            super(Tvips.FrameHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._debug = collections.defaultdict(dict)
            self._read()

        def _read(self):
            self._debug['counter']['start'] = self._io.pos()
            self.counter = self._io.read_u4le()
            self._debug['counter']['end'] = self._io.pos()
            self._debug['timestamp_s']['start'] = self._io.pos()
            self.timestamp_s = self._io.read_u4le()
            self._debug['timestamp_s']['end'] = self._io.pos()
            self._debug['timestamp_ms']['start'] = self._io.pos()
            self.timestamp_ms = self._io.read_u4le()
            self._debug['timestamp_ms']['end'] = self._io.pos()
            if self._io.size() >= 16:
                pass
                self._debug['lut_index']['start'] = self._io.pos()
                self.lut_index = self._io.read_u4le()
                self._debug['lut_index']['end'] = self._io.pos()

            if self._io.size() >= 20:
                pass
                self._debug['faraday']['start'] = self._io.pos()
                self.faraday = self._io.read_f4le()
                self._debug['faraday']['end'] = self._io.pos()

            if self._io.size() >= 24:
                pass
                self._debug['tem_magnification']['start'] = self._io.pos()
                self.tem_magnification = self._io.read_u4le()
                self._debug['tem_magnification']['end'] = self._io.pos()

            if self._io.size() >= 28:
                pass
                self._debug['tem_mode']['start'] = self._io.pos()
                self.tem_mode = KaitaiStream.resolve_enum(Tvips.TemMode, self._io.read_u4le())
                self._debug['tem_mode']['end'] = self._io.pos()

            if self._io.size() >= 32:
                pass
                self._debug['stage_x']['start'] = self._io.pos()
                self.stage_x = self._io.read_f4le()
                self._debug['stage_x']['end'] = self._io.pos()

            if self._io.size() >= 36:
                pass
                self._debug['stage_y']['start'] = self._io.pos()
                self.stage_y = self._io.read_f4le()
                self._debug['stage_y']['end'] = self._io.pos()

            if self._io.size() >= 40:
                pass
                self._debug['stage_z']['start'] = self._io.pos()
                self.stage_z = self._io.read_f4le()
                self._debug['stage_z']['end'] = self._io.pos()

            if self._io.size() >= 44:
                pass
                self._debug['stage_alpha']['start'] = self._io.pos()
                self.stage_alpha = self._io.read_f4le()
                self._debug['stage_alpha']['end'] = self._io.pos()

            if self._io.size() >= 48:
                pass
                self._debug['stage_beta']['start'] = self._io.pos()
                self.stage_beta = self._io.read_f4le()
                self._debug['stage_beta']['end'] = self._io.pos()

            if self._io.size() >= 52:
                pass
                self._debug['rotator_index']['start'] = self._io.pos()
                self.rotator_index = self._io.read_u4le()
                self._debug['rotator_index']['end'] = self._io.pos()

            if self._io.size() >= 56:
                pass
                self._debug['dens_temperature']['start'] = self._io.pos()
                self.dens_temperature = self._io.read_f4le()
                self._debug['dens_temperature']['end'] = self._io.pos()

            if self._io.size() >= 60:
                pass
                self._debug['dens_temperature_setpoint']['start'] = self._io.pos()
                self.dens_temperature_setpoint = self._io.read_f4le()
                self._debug['dens_temperature_setpoint']['end'] = self._io.pos()

            if self._io.size() >= 64:
                pass
                self._debug['dens_power']['start'] = self._io.pos()
                self.dens_power = self._io.read_f4le()
                self._debug['dens_power']['end'] = self._io.pos()

            if self._io.size() >= 68:
                pass
                self._debug['objective_current']['start'] = self._io.pos()
                self.objective_current = self._io.read_f4le()
                self._debug['objective_current']['end'] = self._io.pos()

            if self._io.size() >= 72:
                pass
                self._debug['scan_x']['start'] = self._io.pos()
                self.scan_x = self._io.read_f4le()
                self._debug['scan_x']['end'] = self._io.pos()

            if self._io.size() >= 76:
                pass
                self._debug['scan_y']['start'] = self._io.pos()
                self.scan_y = self._io.read_f4le()
                self._debug['scan_y']['end'] = self._io.pos()

            if self._io.size() >= 80:
                pass
                self._debug['dens_bias_u_setpoint']['start'] = self._io.pos()
                self.dens_bias_u_setpoint = self._io.read_f4le()
                self._debug['dens_bias_u_setpoint']['end'] = self._io.pos()

            if self._io.size() >= 84:
                pass
                self._debug['dens_bias_u']['start'] = self._io.pos()
                self.dens_bias_u = self._io.read_f4le()
                self._debug['dens_bias_u']['end'] = self._io.pos()

            if self._io.size() >= 88:
                pass
                self._debug['dens_bias_i_setpoint']['start'] = self._io.pos()
                self.dens_bias_i_setpoint = self._io.read_f4le()
                self._debug['dens_bias_i_setpoint']['end'] = self._io.pos()

            if self._io.size() >= 92:
                pass
                self._debug['dens_bias_i']['start'] = self._io.pos()
                self.dens_bias_i = self._io.read_f4le()
                self._debug['dens_bias_i']['end'] = self._io.pos()

            if self._io.size() >= 96:
                pass
                self._debug['dens_bias_e_setpoint']['start'] = self._io.pos()
                self.dens_bias_e_setpoint = self._io.read_f4le()
                self._debug['dens_bias_e_setpoint']['end'] = self._io.pos()

            if self._io.size() >= 100:
                pass
                self._debug['dens_bias_r']['start'] = self._io.pos()
                self.dens_bias_r = self._io.read_f4le()
                self._debug['dens_bias_r']['end'] = self._io.pos()

            if self._io.size() >= 104:
                pass
                self._debug['dens_bias_limit_u']['start'] = self._io.pos()
                self.dens_bias_limit_u = self._io.read_f4le()
                self._debug['dens_bias_limit_u']['end'] = self._io.pos()

            if self._io.size() >= 108:
                pass
                self._debug['dens_bias_limit_i']['start'] = self._io.pos()
                self.dens_bias_limit_i = self._io.read_f4le()
                self._debug['dens_bias_limit_i']['end'] = self._io.pos()

            self._debug['padding']['start'] = self._io.pos()
            self.padding = self._io.read_bytes_full()
            self._debug['padding']['end'] = self._io.pos()


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
        SEQ_FIELDS = ["len_header", "version", "width", "height", "bits_per_pixel", "offset_x", "offset_y", "bin_x", "bin_y", "pixel_size_nm", "high_tension_kv", "mag_total", "len_frame_header", "filler"]
        def __init__(self, _io, _parent=None, _root=None):
            super(Tvips.MainHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._debug = collections.defaultdict(dict)
            self._read()

        def _read(self):
            self._debug['len_header']['start'] = self._io.pos()
            self.len_header = self._io.read_u4le()
            self._debug['len_header']['end'] = self._io.pos()
            if not self.len_header == 256:
                raise kaitaistruct.ValidationNotEqualError(256, self.len_header, self._io, u"/types/main_header/seq/0")
            self._debug['version']['start'] = self._io.pos()
            self.version = self._io.read_u4le()
            self._debug['version']['end'] = self._io.pos()
            if not  ((self.version == 1) or (self.version == 2)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.version, self._io, u"/types/main_header/seq/1")
            self._debug['width']['start'] = self._io.pos()
            self.width = self._io.read_u4le()
            self._debug['width']['end'] = self._io.pos()
            if not self.width >= 1:
                raise kaitaistruct.ValidationLessThanError(1, self.width, self._io, u"/types/main_header/seq/2")
            self._debug['height']['start'] = self._io.pos()
            self.height = self._io.read_u4le()
            self._debug['height']['end'] = self._io.pos()
            if not self.height >= 1:
                raise kaitaistruct.ValidationLessThanError(1, self.height, self._io, u"/types/main_header/seq/3")
            self._debug['bits_per_pixel']['start'] = self._io.pos()
            self.bits_per_pixel = self._io.read_u4le()
            self._debug['bits_per_pixel']['end'] = self._io.pos()
            if not  ((self.bits_per_pixel == 8) or (self.bits_per_pixel == 16) or (self.bits_per_pixel == 32) or (self.bits_per_pixel == 64)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.bits_per_pixel, self._io, u"/types/main_header/seq/4")
            self._debug['offset_x']['start'] = self._io.pos()
            self.offset_x = self._io.read_u4le()
            self._debug['offset_x']['end'] = self._io.pos()
            self._debug['offset_y']['start'] = self._io.pos()
            self.offset_y = self._io.read_u4le()
            self._debug['offset_y']['end'] = self._io.pos()
            self._debug['bin_x']['start'] = self._io.pos()
            self.bin_x = self._io.read_u4le()
            self._debug['bin_x']['end'] = self._io.pos()
            self._debug['bin_y']['start'] = self._io.pos()
            self.bin_y = self._io.read_u4le()
            self._debug['bin_y']['end'] = self._io.pos()
            self._debug['pixel_size_nm']['start'] = self._io.pos()
            self.pixel_size_nm = self._io.read_u4le()
            self._debug['pixel_size_nm']['end'] = self._io.pos()
            self._debug['high_tension_kv']['start'] = self._io.pos()
            self.high_tension_kv = self._io.read_u4le()
            self._debug['high_tension_kv']['end'] = self._io.pos()
            self._debug['mag_total']['start'] = self._io.pos()
            self.mag_total = self._io.read_u4le()
            self._debug['mag_total']['end'] = self._io.pos()
            self._debug['len_frame_header']['start'] = self._io.pos()
            self.len_frame_header = self._io.read_u4le()
            self._debug['len_frame_header']['end'] = self._io.pos()
            _ = self.len_frame_header
            if not  ((self.version == 1) or (_ >= 12)) :
                raise kaitaistruct.ValidationExprError(self.len_frame_header, self._io, u"/types/main_header/seq/12")
            self._debug['filler']['start'] = self._io.pos()
            self.filler = self._io.read_bytes(204)
            self._debug['filler']['end'] = self._io.pos()


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
        SEQ_FIELDS = ["frame_header", "image"]
        def __init__(self, header, _io, _parent=None, _root=None):
            super(Tvips.Record, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.header = header
            self._debug = collections.defaultdict(dict)
            self._read()

        def _read(self):
            self._debug['frame_header']['start'] = self._io.pos()
            self._raw_frame_header = self._io.read_bytes(self.header.len_frame_header_in_use)
            _io__raw_frame_header = KaitaiStream(BytesIO(self._raw_frame_header))
            self.frame_header = Tvips.FrameHeader(_io__raw_frame_header, self, self._root)
            self._debug['frame_header']['end'] = self._io.pos()
            self._debug['image']['start'] = self._io.pos()
            self.image = self._io.read_bytes(self.header.len_image)
            self._debug['image']['end'] = self._io.pos()


        def _fetch_instances(self):
            pass
            self.frame_header._fetch_instances()



