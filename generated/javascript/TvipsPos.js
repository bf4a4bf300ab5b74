// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.Tvips || (root.Tvips = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (Tvips_, KaitaiStream) {
/**
 * The stream format that TVIPS cameras (TemCam F416, XF416 and others) write
 * during in-situ, 4D-STEM, precession and MicroED acquisitions.
 * 
 * An acquisition is a series of files `name_000.tvips`, `name_001.tvips`, …
 * The acquisition software starts a new file when the current one reaches a
 * size cap. Only the first file, `_000`, begins with the 256-byte main header;
 * every file then holds a run of fixed-size records, and no record crosses a
 * file boundary. A record is a frame header followed by one image. Nothing in
 * the files records the number of frames or the scan shape: both follow from
 * the file sizes and from per-frame fields (`rotator_index`, `scan_x`,
 * `scan_y`).
 * 
 * A single file without a part number, `name.tvips`, is a series of one part:
 * it is laid out exactly like a `_000` file (main header, then records), at
 * any size. Such files exist: the MicroED deposit Zenodo 10995139 (XF416
 * camera, 300 kV, CC-BY-4.0) holds four files `…_series1.tvips` …
 * `…_series4.tvips`, no `_NNN` part among them; one of them is 2,357,249,684
 * bytes = 256 + 281 × (180 + 2048 × 2048 × 2), one whole, unsplit series of
 * 281 frames (the depositors may have renamed them). pyautoprocess (Nelson
 * lab) reads one file of this kind, and its tests name them without a part
 * number. RosettaSciIO, TVIPSconverter and TVIPS's `recorder` script accept
 * only a name ending in `_000.tvips`; Leginon finds the first part by
 * `_000.tvips` in its name, although a docstring of its upload code names
 * EM-MENU sets `Image%03d.tvips`. When `name_000.tvips` exists beside
 * `name.tvips`, the numbered series is the one to read.
 * 
 * This top-level type reads the first file of a series (or the single file).
 * A continuation file (`_001`, `_002`, …) is read with the type
 * `continuation_part`, given the main header of `_000`.
 * 
 * All values are little-endian and packed. No official TVIPS description of
 * the format is public; the layout here is the one every known reader agrees
 * on (RosettaSciIO, LiberTEM, TVIPSconverter, the TVIPS `recorder` script).
 * Field names follow those readers; the vendor names, as LiberTEM gives them,
 * are kept in `-orig-id`. Where sources disagree on a meaning, the field's
 * `doc` says so.
 * 
 * Readers that read the same bytes differently: Leginon (`pyami/tvips.py`)
 * reads the main header as signed 32-bit integers and pixels as signed 8- or
 * 16-bit integers, and takes the frame-header size from offset 48 whatever
 * the version; TVIPS's `recorder` script (2018) shapes each image as
 * (`width`, `height`) rows × columns, transposed for non-square images, and
 * cannot read version 1.
 * @see {@link https://github.com/hyperspy/rosettasciio/blob/main/rsciio/tvips/_api.py|Source}
 * @see {@link https://github.com/LiberTEM/LiberTEM/blob/master/src/libertem/io/dataset/tvips.py|Source}
 * @see {@link https://doi.org/10.5281/zenodo.10995139|BIR-MicroED deposit (XF416, 300 kV, CC-BY-4.0) with un-numbered single-file series}
 * @see {@link https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json|third-party analysis giving the deposit's first 256 bytes}
 * @see {@link https://github.com/nwvlahakis/BIR-MicroED-analysis-scripts/blob/0f1457a53734194eeedc7f9eb48c5aa21b66d93a/imageconversion_and_Braggintensityanalyses/read_tvips.m|the deposit's MATLAB reader (180-byte XF416 frame headers)}
 * @see {@link https://github.com/leginon-org/leginon/blob/50a2c706cff625fc4f861b12fcbfe969e961f9d4/pyami/tvips.py|Leginon's reader (Apache-2.0)}
 * @see {@link https://github.com/din14970/TVIPSconverter/blob/d1f2a6303829788a98090ce58623f0d02640bd6d/Original/tvips.utils/utils/recorder.py|TVIPS's recorder script (Marco Oster/TVIPS 2018, v0.6.8)}
 * @see {@link https://github.com/theNelsonLab/autoprocess/blob/8d96b2365cbddcbfb8ee4c3b400eba15f00c656d/src/pyautoprocess/tvips.py|pyautoprocess's reader}
 */

var Tvips = (function() {
  Tvips.TemMode = Object.freeze({
    IMAGING: 1,
    DIFFRACTION: 2,

    1: "IMAGING",
    2: "DIFFRACTION",
  });

  function Tvips(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this._debug = {};

    this._read();
  }
  Tvips.prototype._read = function() {
    this._debug.header = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this.header = new MainHeader(this._io, this, this._root);
    this._debug.header.end = this._io.pos;
    this._debug.records = { start: this._io.pos, ioOffset: this._io.byteOffset };
    this._debug.records.arr = [];
    this.records = [];
    var i = 0;
    while (!this._io.isEof()) {
      this._debug.records.arr[this.records.length] = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.records.push(new Record(this._io, this, this._root, this.header));
      this._debug.records.arr[this.records.length - 1].end = this._io.pos;
      i++;
    }
    this._debug.records.end = this._io.pos;
  }

  /**
   * A continuation file of a series (`_001`, `_002`, …): records only, no
   * main header. The layout of its records comes from the main header of
   * the series' `_000` file, passed as a parameter.
   */

  var ContinuationPart = Tvips.ContinuationPart = (function() {
    function ContinuationPart(_io, _parent, _root, header) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.header = header;
      this._debug = {};

      this._read();
    }
    ContinuationPart.prototype._read = function() {
      this._debug.records = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this._debug.records.arr = [];
      this.records = [];
      var i = 0;
      while (!this._io.isEof()) {
        this._debug.records.arr[this.records.length] = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.records.push(new Record(this._io, this, this._root, this.header));
        this._debug.records.arr[this.records.length - 1].end = this._io.pos;
        i++;
      }
      this._debug.records.end = this._io.pos;
    }

    /**
     * The frames of this file, up to the end of the file.
     */

    /**
     * The main header of the series, read from its `_000` file.
     */

    return ContinuationPart;
  })();

  /**
   * The header before each image. Version 1 has the first three fields
   * only (12 bytes). Version 2 headers are `len_frame_header` bytes long;
   * the fields below exist only when the header is long enough to hold them
   * whole, and whatever follows the last whole field is `padding`.
   * 
   * RosettaSciIO, TVIPSconverter and the TVIPS `recorder` script know the
   * first 60 bytes; LiberTEM knows 108 (the fields from `dens_power` on are
   * its names). Bytes beyond 108 are site- or software-specific.
   */

  var FrameHeader = Tvips.FrameHeader = (function() {
    function FrameHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

      this._read();
    }
    FrameHeader.prototype._read = function() {
      this._debug.counter = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.counter = this._io.readU4le();
      this._debug.counter.end = this._io.pos;
      this._debug.timestampS = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.timestampS = this._io.readU4le();
      this._debug.timestampS.end = this._io.pos;
      this._debug.timestampMs = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.timestampMs = this._io.readU4le();
      this._debug.timestampMs.end = this._io.pos;
      if (this._io.size >= 16) {
        this._debug.lutIndex = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.lutIndex = this._io.readU4le();
        this._debug.lutIndex.end = this._io.pos;
      }
      if (this._io.size >= 20) {
        this._debug.faraday = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.faraday = this._io.readF4le();
        this._debug.faraday.end = this._io.pos;
      }
      if (this._io.size >= 24) {
        this._debug.temMagnification = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.temMagnification = this._io.readU4le();
        this._debug.temMagnification.end = this._io.pos;
      }
      if (this._io.size >= 28) {
        this._debug.temMode = { start: this._io.pos, ioOffset: this._io.byteOffset, enumName: "Tvips.TemMode" };
        this.temMode = this._io.readU4le();
        this._debug.temMode.end = this._io.pos;
      }
      if (this._io.size >= 32) {
        this._debug.stageX = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.stageX = this._io.readF4le();
        this._debug.stageX.end = this._io.pos;
      }
      if (this._io.size >= 36) {
        this._debug.stageY = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.stageY = this._io.readF4le();
        this._debug.stageY.end = this._io.pos;
      }
      if (this._io.size >= 40) {
        this._debug.stageZ = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.stageZ = this._io.readF4le();
        this._debug.stageZ.end = this._io.pos;
      }
      if (this._io.size >= 44) {
        this._debug.stageAlpha = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.stageAlpha = this._io.readF4le();
        this._debug.stageAlpha.end = this._io.pos;
      }
      if (this._io.size >= 48) {
        this._debug.stageBeta = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.stageBeta = this._io.readF4le();
        this._debug.stageBeta.end = this._io.pos;
      }
      if (this._io.size >= 52) {
        this._debug.rotatorIndex = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.rotatorIndex = this._io.readU4le();
        this._debug.rotatorIndex.end = this._io.pos;
      }
      if (this._io.size >= 56) {
        this._debug.densTemperature = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densTemperature = this._io.readF4le();
        this._debug.densTemperature.end = this._io.pos;
      }
      if (this._io.size >= 60) {
        this._debug.densTemperatureSetpoint = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densTemperatureSetpoint = this._io.readF4le();
        this._debug.densTemperatureSetpoint.end = this._io.pos;
      }
      if (this._io.size >= 64) {
        this._debug.densPower = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densPower = this._io.readF4le();
        this._debug.densPower.end = this._io.pos;
      }
      if (this._io.size >= 68) {
        this._debug.objectiveCurrent = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.objectiveCurrent = this._io.readF4le();
        this._debug.objectiveCurrent.end = this._io.pos;
      }
      if (this._io.size >= 72) {
        this._debug.scanX = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.scanX = this._io.readF4le();
        this._debug.scanX.end = this._io.pos;
      }
      if (this._io.size >= 76) {
        this._debug.scanY = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.scanY = this._io.readF4le();
        this._debug.scanY.end = this._io.pos;
      }
      if (this._io.size >= 80) {
        this._debug.densBiasUSetpoint = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densBiasUSetpoint = this._io.readF4le();
        this._debug.densBiasUSetpoint.end = this._io.pos;
      }
      if (this._io.size >= 84) {
        this._debug.densBiasU = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densBiasU = this._io.readF4le();
        this._debug.densBiasU.end = this._io.pos;
      }
      if (this._io.size >= 88) {
        this._debug.densBiasISetpoint = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densBiasISetpoint = this._io.readF4le();
        this._debug.densBiasISetpoint.end = this._io.pos;
      }
      if (this._io.size >= 92) {
        this._debug.densBiasI = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densBiasI = this._io.readF4le();
        this._debug.densBiasI.end = this._io.pos;
      }
      if (this._io.size >= 96) {
        this._debug.densBiasESetpoint = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densBiasESetpoint = this._io.readF4le();
        this._debug.densBiasESetpoint.end = this._io.pos;
      }
      if (this._io.size >= 100) {
        this._debug.densBiasR = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densBiasR = this._io.readF4le();
        this._debug.densBiasR.end = this._io.pos;
      }
      if (this._io.size >= 104) {
        this._debug.densBiasLimitU = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densBiasLimitU = this._io.readF4le();
        this._debug.densBiasLimitU.end = this._io.pos;
      }
      if (this._io.size >= 108) {
        this._debug.densBiasLimitI = { start: this._io.pos, ioOffset: this._io.byteOffset };
        this.densBiasLimitI = this._io.readF4le();
        this._debug.densBiasLimitI.end = this._io.pos;
      }
      this._debug.padding = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.padding = this._io.readBytesFull();
      this._debug.padding.end = this._io.pos;
    }

    /**
     * Size of the frame header that every known reader understands
     * (RosettaSciIO, TVIPSconverter, the TVIPS `recorder` script): the
     * fields up to `dens_temperature_setpoint`. HyperSpy's writer writes
     * version 2 frame headers of this size.
     */
    Object.defineProperty(FrameHeader.prototype, 'lenCore', {
      get: function() {
        if (this._m_lenCore !== undefined)
          return this._m_lenCore;
        this._debug._m_lenCore = {  };
        this._m_lenCore = 60;
        return this._m_lenCore;
      }
    });

    /**
     * Image counter. LiberTEM: continues through all files; RosettaSciIO
     * and TVIPSconverter: "tends to cycle". HyperSpy's writer leaves it 0.
     */

    /**
     * Acquisition time, whole seconds since 1970-01-01. TVIPS staff are
     * quoted saying the time is recorded in local time; RosettaSciIO
     * reads it as a Unix (UTC) time.
     */

    /**
     * Milliseconds to add to `timestamp_s` (0 to 999).
     */

    /**
     * Index of a display look-up table; the same value in every frame.
     */

    /**
     * Faraday-cup reading; unit undocumented, usually 0. RosettaSciIO
     * maps it to the beam current.
     */

    /**
     * Magnification reported by the microscope; the same for all frames,
     * and it may differ from the main header's `mag_total`.
     */

    /**
     * Microscope mode, imaging or diffraction.
     */

    /**
     * Stage x position in nm (per LiberTEM).
     */

    /**
     * Stage y position in nm (per LiberTEM).
     */

    /**
     * Stage z position in nm (per LiberTEM).
     */

    /**
     * Stage tilt alpha in degrees.
     */

    /**
     * Stage tilt beta in degrees.
     */

    /**
     * Rotator index (RosettaSciIO's `rotidx`), written by EM-Konos: the
     * 1-based index of the scan point this frame belongs to. Values repeat
     * or skip when the beam dwell time and the camera frame time are not
     * synchronised; frames outside the scan carry a constant value.
     */

    /**
     * Measured temperature of a DENSsolutions in-situ holder (LiberTEM).
     * RosettaSciIO calls this field `temperature` and notes that it
     * "cycles between 0.0 and 9.0 with step 1.0".
     */

    /**
     * Temperature set-point of a DENSsolutions holder (LiberTEM).
     * RosettaSciIO calls this field `objective` and reports it as the
     * defocus; the two sources disagree.
     */

    /**
     * Heating power of a DENSsolutions holder.
     */

    /**
     * Objective lens current; unit undocumented.
     */

    /**
     * Scan position x (column) of this frame, written by EM-Scan; integral
     * values stored as float. May be absent or zero in practice.
     */

    /**
     * Scan position y (row) of this frame, written by EM-Scan.
     */

    /**
     * Bias voltage set-point of a DENSsolutions biasing holder.
     */

    /**
     * Measured bias voltage.
     */

    /**
     * Bias current set-point.
     */

    /**
     * Measured bias current.
     */

    /**
     * Bias field set-point.
     */

    /**
     * Bias resistance.
     */

    /**
     * Compliance limit of the bias voltage.
     */

    /**
     * Compliance limit of the bias current.
     */

    /**
     * Whatever follows the last whole known field: zero padding in
     * HyperSpy's files (`frame_header_extra_bytes`), site- or
     * software-specific values in camera files.
     */

    return FrameHeader;
  })();

  /**
   * The 256-byte header at the start of the `_000` file. It fixes the
   * layout of every record of the series.
   */

  var MainHeader = Tvips.MainHeader = (function() {
    function MainHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._debug = {};

      this._read();
    }
    MainHeader.prototype._read = function() {
      this._debug.lenHeader = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.lenHeader = this._io.readU4le();
      this._debug.lenHeader.end = this._io.pos;
      if (!(this.lenHeader == 256)) {
        var _err = new KaitaiStream.ValidationNotEqualError(256, this.lenHeader, this._io, "/types/main_header/seq/0");
        this._debug.lenHeader.validationError = _err;
        throw _err;
      }
      this._debug.version = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.version = this._io.readU4le();
      this._debug.version.end = this._io.pos;
      if (!( ((this.version == 1) || (this.version == 2)) )) {
        var _err = new KaitaiStream.ValidationNotAnyOfError(this.version, this._io, "/types/main_header/seq/1");
        this._debug.version.validationError = _err;
        throw _err;
      }
      this._debug.width = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.width = this._io.readU4le();
      this._debug.width.end = this._io.pos;
      if (!(this.width >= 1)) {
        var _err = new KaitaiStream.ValidationLessThanError(1, this.width, this._io, "/types/main_header/seq/2");
        this._debug.width.validationError = _err;
        throw _err;
      }
      this._debug.height = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.height = this._io.readU4le();
      this._debug.height.end = this._io.pos;
      if (!(this.height >= 1)) {
        var _err = new KaitaiStream.ValidationLessThanError(1, this.height, this._io, "/types/main_header/seq/3");
        this._debug.height.validationError = _err;
        throw _err;
      }
      this._debug.bitsPerPixel = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.bitsPerPixel = this._io.readU4le();
      this._debug.bitsPerPixel.end = this._io.pos;
      if (!( ((this.bitsPerPixel == 8) || (this.bitsPerPixel == 16) || (this.bitsPerPixel == 32) || (this.bitsPerPixel == 64)) )) {
        var _err = new KaitaiStream.ValidationNotAnyOfError(this.bitsPerPixel, this._io, "/types/main_header/seq/4");
        this._debug.bitsPerPixel.validationError = _err;
        throw _err;
      }
      this._debug.offsetX = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.offsetX = this._io.readU4le();
      this._debug.offsetX.end = this._io.pos;
      this._debug.offsetY = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.offsetY = this._io.readU4le();
      this._debug.offsetY.end = this._io.pos;
      this._debug.binX = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.binX = this._io.readU4le();
      this._debug.binX.end = this._io.pos;
      this._debug.binY = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.binY = this._io.readU4le();
      this._debug.binY.end = this._io.pos;
      this._debug.pixelSizeNm = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.pixelSizeNm = this._io.readU4le();
      this._debug.pixelSizeNm.end = this._io.pos;
      this._debug.highTensionKv = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.highTensionKv = this._io.readU4le();
      this._debug.highTensionKv.end = this._io.pos;
      this._debug.magTotal = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.magTotal = this._io.readU4le();
      this._debug.magTotal.end = this._io.pos;
      this._debug.lenFrameHeader = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.lenFrameHeader = this._io.readU4le();
      this._debug.lenFrameHeader.end = this._io.pos;
      var _ = this.lenFrameHeader;
      if (!( ((this.version == 1) || (_ >= 12)) )) {
        var _err = new KaitaiStream.ValidationExprError(this.lenFrameHeader, this._io, "/types/main_header/seq/12");
        this._debug.lenFrameHeader.validationError = _err;
        throw _err;
      }
      this._debug.filler = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.filler = this._io.readBytes(204);
      this._debug.filler.end = this._io.pos;
    }

    /**
     * Size of one pixel in bytes.
     */
    Object.defineProperty(MainHeader.prototype, 'bytesPerPixel', {
      get: function() {
        if (this._m_bytesPerPixel !== undefined)
          return this._m_bytesPerPixel;
        this._debug._m_bytesPerPixel = {  };
        this._m_bytesPerPixel = Math.floor(this.bitsPerPixel / 8);
        return this._m_bytesPerPixel;
      }
    });

    /**
     * Size of each frame header in this series, in bytes.
     */
    Object.defineProperty(MainHeader.prototype, 'lenFrameHeaderInUse', {
      get: function() {
        if (this._m_lenFrameHeaderInUse !== undefined)
          return this._m_lenFrameHeaderInUse;
        this._debug._m_lenFrameHeaderInUse = {  };
        this._m_lenFrameHeaderInUse = (this.version == 1 ? 12 : this.lenFrameHeader);
        return this._m_lenFrameHeaderInUse;
      }
    });

    /**
     * Size of one image in bytes.
     */
    Object.defineProperty(MainHeader.prototype, 'lenImage', {
      get: function() {
        if (this._m_lenImage !== undefined)
          return this._m_lenImage;
        this._debug._m_lenImage = {  };
        this._m_lenImage = (this.width * this.height) * this.bytesPerPixel;
        return this._m_lenImage;
      }
    });

    /**
     * Size of one record (frame header and image) in bytes.
     */
    Object.defineProperty(MainHeader.prototype, 'lenRecord', {
      get: function() {
        if (this._m_lenRecord !== undefined)
          return this._m_lenRecord;
        this._debug._m_lenRecord = {  };
        this._m_lenRecord = this.lenFrameHeaderInUse + this.lenImage;
        return this._m_lenRecord;
      }
    });

    /**
     * Size of this header in bytes; always 256. RosettaSciIO uses the
     * value as the offset of the first record, LiberTEM rejects any other
     * value.
     */

    /**
     * Format version. Version 1 has 12-byte frame headers; version 2 has
     * frame headers of `len_frame_header` bytes.
     */

    /**
     * Image width in pixels (the fast axis, the length of a row), as
     * RosettaSciIO, LiberTEM and pyautoprocess read it. TVIPS's
     * `recorder` script instead shapes each image as `width` rows of
     * `height` pixels; the two agree for square images only, and no
     * non-square camera file has been published to settle it.
     */

    /**
     * Image height in pixels (the number of rows).
     */

    /**
     * Bits per pixel; pixels are unsigned integers of
     * `bits_per_pixel / 8` bytes. Camera files hold 8 or 16, and camera
     * software reads only those (LiberTEM accepts 8 and 16, TVIPS's
     * `recorder` script reads anything but 8 as 16-bit, pyautoprocess
     * only 16). 32 and 64 are written by HyperSpy/RosettaSciIO only: its
     * writer stores `bits_per_pixel = 8 × itemsize` of whatever array it
     * is given, so uint32 and uint64 data (sums, counted data) give 32
     * and 64 (its signed and float data too, as bit patterns that read
     * back unsigned). Leginon reads 8 and 16 as signed integers.
     * @see {@link https://github.com/hyperspy/rosettasciio/blob/bc254db14cd7d4d23169b11aeb622a0a7eac1fbe/rsciio/tvips/_api.py|RosettaSciIO 0.15's writer (bitsperpixel = itemsize × 8)}
     * @see {@link https://github.com/leginon-org/leginon/blob/50a2c706cff625fc4f861b12fcbfe969e961f9d4/pyami/tvips.py|Leginon (int8, int16)}
     */

    /**
     * Camera region-of-interest offset along x, in detector pixels;
     * generally 0. RosettaSciIO misuses it as a physical axis offset.
     */

    /**
     * Camera region-of-interest offset along y, in detector pixels.
     */

    /**
     * Camera binning along x.
     */

    /**
     * Camera binning along y.
     */

    /**
     * Size of an unbinned detector pixel in nm, whatever the binning: the
     * XF416 series of Zenodo 10995139 holds 15500 (the 15.5 µm sensor
     * pixel) at `bin_x` = `bin_y` = 2. A binned image pixel is
     * `pixel_size_nm × bin_x` wide and `pixel_size_nm × bin_y` high, as
     * TVIPS's `recorder` script computes it ("nm, physical pixel size";
     * `pixelsize × binx` in its camera-length calibration). It is not a
     * specimen-plane or reciprocal-space calibration. HyperSpy's and
     * RosettaSciIO's writer, however, store the signal-axis scale here, in
     * nm (imaging) or 1/nm (diffraction), rounded to an integer, and
     * their reader reads it back as that scale; their files are marked by
     * "HYPERSPY" in `filler`.
     * @see {@link https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json|pixelsize 15500 with binx = biny = 2}
     * @see {@link https://github.com/din14970/TVIPSconverter/blob/d1f2a6303829788a98090ce58623f0d02640bd6d/Original/tvips.utils/utils/recorder.py|TVIPS's recorder script}
     */

    /**
     * Accelerating voltage (high tension) in kV.
     */

    /**
     * Total magnification including the post-magnification and
     * correction factors. In diffraction TVIPS's `recorder` script treats
     * it as the camera length (a comment there says centimetres; not
     * otherwise documented). It can be 0 in diffraction: the XF416
     * selected-area diffraction series of Zenodo 10995139 holds 0, so no
     * camera length is recorded. 0 means unknown.
     * @see {@link https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json|magtotal 0}
     */

    /**
     * Size of each frame header in bytes. Only meaningful for version 2;
     * version 1 frame headers are 12 bytes whatever this field says
     * (Leginon nevertheless uses this field for version 1 too). Version 2
     * files seen so far use 60 (HyperSpy's writer), 108 or 112 (EM-Scan,
     * per LiberTEM) and 180: the XF416 MicroED series of Zenodo 10995139
     * holds 180, the deposit's MATLAB reader skips 180 bytes before each
     * image, and pyautoprocess's tests build 180-byte headers. Bytes past
     * the fields known below are kept as `padding`.
     * @see {@link https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json|frameheaderbytes 180}
     * @see {@link https://github.com/nwvlahakis/BIR-MicroED-analysis-scripts/blob/0f1457a53734194eeedc7f9eb48c5aa21b66d93a/imageconversion_and_Braggintensityanalyses/read_tvips.m|header_size 180}
     */

    /**
     * Unused filler to the end of the 256-byte header. In the XF416
     * series of Zenodo 10995139 it is 204 zero bytes (its SHA-256, as
     * published, is that of 204 zeros; no "TVIPS" text). That camera
     * files hold "TVIPS TVIPS …" is a comment in TVIPSconverter, not seen
     * in a published file. HyperSpy's writer puts "HYPERSPY HYPERSPY …",
     * tvips-ks's "TVIPS-KS …".
     * @see {@link https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json|dummy_sha256 of the filler}
     * @see {@link https://github.com/din14970/TVIPSconverter/blob/02a70d87957327404efc3bb5ac50f116213f9b6d/tvipsconverter/utils/recorder.py|"just writes out TVIPS TVIPS TVIPS"}
     */

    return MainHeader;
  })();

  /**
   * One frame of the series, its frame header then its image.
   */

  var Record = Tvips.Record = (function() {
    function Record(_io, _parent, _root, header) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.header = header;
      this._debug = {};

      this._read();
    }
    Record.prototype._read = function() {
      this._debug.frameHeader = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this._raw_frameHeader = this._io.readBytes(this.header.lenFrameHeaderInUse);
      var _io__raw_frameHeader = new KaitaiStream(this._raw_frameHeader);
      this.frameHeader = new FrameHeader(_io__raw_frameHeader, this, this._root);
      this._debug.frameHeader.end = this._io.pos;
      this._debug.image = { start: this._io.pos, ioOffset: this._io.byteOffset };
      this.image = this._io.readBytes(this.header.lenImage);
      this._debug.image.end = this._io.pos;
    }

    /**
     * The frame header.
     */

    /**
     * The image: `height` rows of `width` pixels, row-major (the pixel at
     * row y, column x is at byte `(y * width + x) * bytes_per_pixel`),
     * each pixel a little-endian unsigned integer of `bytes_per_pixel`
     * bytes. Leginon reads pixels as signed int8/int16 (and its upload
     * code clamps values below −1 to −1), so 16-bit counts of 32768 and
     * more turn negative there.
     * @see {@link https://github.com/leginon-org/leginon/blob/0365c1dd765a94efadbdc9f54db4018e08250f10/leginon/diffrtransfer.py|numpy.where(numarray < -1, -1, numarray)}
     */

    /**
     * The main header of the series.
     */

    return Record;
  })();

  /**
   * The main header; present in the first file of a series only.
   */

  /**
   * The frames of this file, each a frame header and an image, up to the
   * end of the file.
   */

  return Tvips;
})();
Tvips_.Tvips = Tvips;
});
