meta:
  id: tvips
  title: TVIPS camera stream (recorder) series
  application:
    - TVIPS EM-MENU
    - TVIPS EM-Konos
    - TVIPS EM-Scan
  file-extension: tvips
  license: CC0-1.0
  ks-version: '0.11'
  endian: le
doc: |
  The stream format that TVIPS cameras (TemCam F416, XF416 and others) write
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
doc-ref:
  - https://github.com/hyperspy/rosettasciio/blob/main/rsciio/tvips/_api.py
  - https://github.com/LiberTEM/LiberTEM/blob/master/src/libertem/io/dataset/tvips.py
  - https://doi.org/10.5281/zenodo.10995139 BIR-MicroED deposit (XF416, 300 kV, CC-BY-4.0) with un-numbered single-file series
  - https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json third-party analysis giving the deposit's first 256 bytes
  - https://github.com/nwvlahakis/BIR-MicroED-analysis-scripts/blob/0f1457a53734194eeedc7f9eb48c5aa21b66d93a/imageconversion_and_Braggintensityanalyses/read_tvips.m the deposit's MATLAB reader (180-byte XF416 frame headers)
  - https://github.com/leginon-org/leginon/blob/50a2c706cff625fc4f861b12fcbfe969e961f9d4/pyami/tvips.py Leginon's reader (Apache-2.0)
  - https://github.com/din14970/TVIPSconverter/blob/d1f2a6303829788a98090ce58623f0d02640bd6d/Original/tvips.utils/utils/recorder.py TVIPS's recorder script (Marco Oster/TVIPS 2018, v0.6.8)
  - https://github.com/theNelsonLab/autoprocess/blob/8d96b2365cbddcbfb8ee4c3b400eba15f00c656d/src/pyautoprocess/tvips.py pyautoprocess's reader
seq:
  - id: header
    type: main_header
    doc: The main header; present in the first file of a series only.
  - id: records
    type: record(header)
    repeat: eos
    doc: |
      The frames of this file, each a frame header and an image, up to the
      end of the file.
types:
  continuation_part:
    doc: |
      A continuation file of a series (`_001`, `_002`, …): records only, no
      main header. The layout of its records comes from the main header of
      the series' `_000` file, passed as a parameter.
    params:
      - id: header
        type: main_header
        doc: The main header of the series, read from its `_000` file.
    seq:
      - id: records
        type: record(header)
        repeat: eos
        doc: The frames of this file, up to the end of the file.
  main_header:
    -orig-id: TVIPS_RECORDER_GENERAL_HEADER
    doc: |
      The 256-byte header at the start of the `_000` file. It fixes the
      layout of every record of the series.
    seq:
      - id: len_header
        -orig-id: ISize
        type: u4
        valid: 256
        doc: |
          Size of this header in bytes; always 256. RosettaSciIO uses the
          value as the offset of the first record, LiberTEM rejects any other
          value.
      - id: version
        -orig-id: IVersion
        type: u4
        valid:
          any-of: [1, 2]
        doc: |
          Format version. Version 1 has 12-byte frame headers; version 2 has
          frame headers of `len_frame_header` bytes.
      - id: width
        -orig-id: IXDim
        type: u4
        valid:
          min: 1
        doc: |
          Image width in pixels (the fast axis, the length of a row), as
          RosettaSciIO, LiberTEM and pyautoprocess read it. TVIPS's
          `recorder` script instead shapes each image as `width` rows of
          `height` pixels; the two agree for square images only, and no
          non-square camera file has been published to settle it.
      - id: height
        -orig-id: IYDim
        type: u4
        valid:
          min: 1
        doc: Image height in pixels (the number of rows).
      - id: bits_per_pixel
        -orig-id: IBPP
        type: u4
        valid:
          any-of: [8, 16, 32, 64]
        doc: |
          Bits per pixel; pixels are unsigned integers of
          `bits_per_pixel / 8` bytes. Camera files hold 8 or 16, and camera
          software reads only those (LiberTEM accepts 8 and 16, TVIPS's
          `recorder` script reads anything but 8 as 16-bit, pyautoprocess
          only 16). 32 and 64 are written by HyperSpy/RosettaSciIO only: its
          writer stores `bits_per_pixel = 8 × itemsize` of whatever array it
          is given, so uint32 and uint64 data (sums, counted data) give 32
          and 64 (its signed and float data too, as bit patterns that read
          back unsigned). Leginon reads 8 and 16 as signed integers.
        doc-ref:
          - https://github.com/hyperspy/rosettasciio/blob/bc254db14cd7d4d23169b11aeb622a0a7eac1fbe/rsciio/tvips/_api.py RosettaSciIO 0.15's writer (bitsperpixel = itemsize × 8)
          - https://github.com/leginon-org/leginon/blob/50a2c706cff625fc4f861b12fcbfe969e961f9d4/pyami/tvips.py Leginon (int8, int16)
      - id: offset_x
        -orig-id: IXOff
        type: u4
        doc: |
          Camera region-of-interest offset along x, in detector pixels;
          generally 0. RosettaSciIO misuses it as a physical axis offset.
      - id: offset_y
        -orig-id: IYOff
        type: u4
        doc: Camera region-of-interest offset along y, in detector pixels.
      - id: bin_x
        -orig-id: IXBin
        type: u4
        doc: Camera binning along x.
      - id: bin_y
        -orig-id: IYBin
        type: u4
        doc: Camera binning along y.
      - id: pixel_size_nm
        -orig-id: IPixelSize
        type: u4
        doc: |
          Size of an unbinned detector pixel in nm, whatever the binning: the
          XF416 series of Zenodo 10995139 holds 15500 (the 15.5 µm sensor
          pixel) at `bin_x` = `bin_y` = 2. A binned image pixel is
          `pixel_size_nm × bin_x` wide and `pixel_size_nm × bin_y` high, as
          TVIPS's `recorder` script computes it ("nm, physical pixel size";
          `pixelsize × binx` in its camera-length calibration). It is not a
          specimen-plane or reciprocal-space calibration. HyperSpy's and
          RosettaSciIO's writer, however, store the signal-axis scale here, in
          nm (imaging) or 1/nm (diffraction), rounded to an integer, and
          their reader reads it back as that scale; their files are marked by
          "HYPERSPY" in `filler`.
        doc-ref:
          - https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json pixelsize 15500 with binx = biny = 2
          - https://github.com/din14970/TVIPSconverter/blob/d1f2a6303829788a98090ce58623f0d02640bd6d/Original/tvips.utils/utils/recorder.py TVIPS's recorder script
      - id: high_tension_kv
        -orig-id: IHT
        type: u4
        doc: Accelerating voltage (high tension) in kV.
      - id: mag_total
        -orig-id: IMagTotal
        type: u4
        doc: |
          Total magnification including the post-magnification and
          correction factors. In diffraction TVIPS's `recorder` script treats
          it as the camera length (a comment there says centimetres; not
          otherwise documented). It can be 0 in diffraction: the XF416
          selected-area diffraction series of Zenodo 10995139 holds 0, so no
          camera length is recorded. 0 means unknown.
        doc-ref:
          - https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json magtotal 0
      - id: len_frame_header
        -orig-id: IImgHeaderBytes
        type: u4
        valid:
          expr: version == 1 or _ >= 12
        doc: |
          Size of each frame header in bytes. Only meaningful for version 2;
          version 1 frame headers are 12 bytes whatever this field says
          (Leginon nevertheless uses this field for version 1 too). Version 2
          files seen so far use 60 (HyperSpy's writer), 108 or 112 (EM-Scan,
          per LiberTEM) and 180: the XF416 MicroED series of Zenodo 10995139
          holds 180, the deposit's MATLAB reader skips 180 bytes before each
          image, and pyautoprocess's tests build 180-byte headers. Bytes past
          the fields known below are kept as `padding`.
        doc-ref:
          - https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json frameheaderbytes 180
          - https://github.com/nwvlahakis/BIR-MicroED-analysis-scripts/blob/0f1457a53734194eeedc7f9eb48c5aa21b66d93a/imageconversion_and_Braggintensityanalyses/read_tvips.m header_size 180
      - id: filler
        -orig-id: dummy
        size: 204
        doc: |
          Unused filler to the end of the 256-byte header. In the XF416
          series of Zenodo 10995139 it is 204 zero bytes (its SHA-256, as
          published, is that of 204 zeros; no "TVIPS" text). That camera
          files hold "TVIPS TVIPS …" is a comment in TVIPSconverter, not seen
          in a published file. HyperSpy's writer puts "HYPERSPY HYPERSPY …",
          tvips-ks's "TVIPS-KS …".
        doc-ref:
          - https://github.com/jhin0410-lgtm/materials-characterization-analyzer/blob/a8d304403c64cb973af32682c444343e267bd5e8/case_studies/zenodo_bir_300kev_saed_header_prefix/verified_header_prefix_snapshot.json dummy_sha256 of the filler
          - https://github.com/din14970/TVIPSconverter/blob/02a70d87957327404efc3bb5ac50f116213f9b6d/tvipsconverter/utils/recorder.py "just writes out TVIPS TVIPS TVIPS"
    instances:
      len_frame_header_in_use:
        value: 'version == 1 ? 12 : len_frame_header'
        doc: Size of each frame header in this series, in bytes.
      bytes_per_pixel:
        value: bits_per_pixel / 8
        doc: Size of one pixel in bytes.
      len_image:
        value: width * height * bytes_per_pixel
        doc: Size of one image in bytes.
      len_record:
        value: len_frame_header_in_use + len_image
        doc: Size of one record (frame header and image) in bytes.
  record:
    doc: One frame of the series, its frame header then its image.
    params:
      - id: header
        type: main_header
        doc: The main header of the series.
    seq:
      - id: frame_header
        size: header.len_frame_header_in_use
        type: frame_header
        doc: The frame header.
      - id: image
        size: header.len_image
        doc: |
          The image: `height` rows of `width` pixels, row-major (the pixel at
          row y, column x is at byte `(y * width + x) * bytes_per_pixel`),
          each pixel a little-endian unsigned integer of `bytes_per_pixel`
          bytes. Leginon reads pixels as signed int8/int16 (and its upload
          code clamps values below −1 to −1), so 16-bit counts of 32768 and
          more turn negative there.
        doc-ref:
          - https://github.com/leginon-org/leginon/blob/0365c1dd765a94efadbdc9f54db4018e08250f10/leginon/diffrtransfer.py numpy.where(numarray < -1, -1, numarray)
  frame_header:
    -orig-id: TVIPS_RECORDER_FRAME_HEADER
    doc: |
      The header before each image. Version 1 has the first three fields
      only (12 bytes). Version 2 headers are `len_frame_header` bytes long;
      the fields below exist only when the header is long enough to hold them
      whole, and whatever follows the last whole field is `padding`.

      RosettaSciIO, TVIPSconverter and the TVIPS `recorder` script know the
      first 60 bytes; LiberTEM knows 108 (the fields from `dens_power` on are
      its names). Bytes beyond 108 are site- or software-specific.
    seq:
      - id: counter
        -orig-id: ICounter
        type: u4
        doc: |
          Image counter. LiberTEM: continues through all files; RosettaSciIO
          and TVIPSconverter: "tends to cycle". HyperSpy's writer leaves it 0.
      - id: timestamp_s
        -orig-id: ITime
        type: u4
        doc: |
          Acquisition time, whole seconds since 1970-01-01. TVIPS staff are
          quoted saying the time is recorded in local time; RosettaSciIO
          reads it as a Unix (UTC) time.
      - id: timestamp_ms
        -orig-id: IMS
        type: u4
        doc: Milliseconds to add to `timestamp_s` (0 to 999).
      - id: lut_index
        -orig-id: LUT_Index
        type: u4
        if: _io.size >= 16
        doc: Index of a display look-up table; the same value in every frame.
      - id: faraday
        -orig-id: Faraday
        type: f4
        if: _io.size >= 20
        doc: |
          Faraday-cup reading; unit undocumented, usually 0. RosettaSciIO
          maps it to the beam current.
      - id: tem_magnification
        -orig-id: TEM_Mag
        type: u4
        if: _io.size >= 24
        doc: |
          Magnification reported by the microscope; the same for all frames,
          and it may differ from the main header's `mag_total`.
      - id: tem_mode
        -orig-id: TEM_Mag_mode
        type: u4
        enum: tem_mode
        if: _io.size >= 28
        doc: Microscope mode, imaging or diffraction.
      - id: stage_x
        -orig-id: TEM_Stage_x
        type: f4
        if: _io.size >= 32
        doc: Stage x position in nm (per LiberTEM).
      - id: stage_y
        -orig-id: TEM_Stage_y
        type: f4
        if: _io.size >= 36
        doc: Stage y position in nm (per LiberTEM).
      - id: stage_z
        -orig-id: TEM_Stage_z
        type: f4
        if: _io.size >= 40
        doc: Stage z position in nm (per LiberTEM).
      - id: stage_alpha
        -orig-id: TEM_Stage_alpha
        type: f4
        if: _io.size >= 44
        doc: Stage tilt alpha in degrees.
      - id: stage_beta
        -orig-id: TEM_Stage_beta
        type: f4
        if: _io.size >= 48
        doc: Stage tilt beta in degrees.
      - id: rotator_index
        -orig-id: Index_of_rotator
        type: u4
        if: _io.size >= 52
        doc: |
          Rotator index (RosettaSciIO's `rotidx`), written by EM-Konos: the
          1-based index of the scan point this frame belongs to. Values repeat
          or skip when the beam dwell time and the camera frame time are not
          synchronised; frames outside the scan carry a constant value.
      - id: dens_temperature
        -orig-id: DENS_T_measure
        type: f4
        if: _io.size >= 56
        doc: |
          Measured temperature of a DENSsolutions in-situ holder (LiberTEM).
          RosettaSciIO calls this field `temperature` and notes that it
          "cycles between 0.0 and 9.0 with step 1.0".
      - id: dens_temperature_setpoint
        -orig-id: DENS_T_setpoint
        type: f4
        if: _io.size >= 60
        doc: |
          Temperature set-point of a DENSsolutions holder (LiberTEM).
          RosettaSciIO calls this field `objective` and reports it as the
          defocus; the two sources disagree.
      - id: dens_power
        -orig-id: DENS_Power
        type: f4
        if: _io.size >= 64
        doc: Heating power of a DENSsolutions holder.
      - id: objective_current
        -orig-id: TEM_Obj_current
        type: f4
        if: _io.size >= 68
        doc: Objective lens current; unit undocumented.
      - id: scan_x
        -orig-id: Scan_x
        type: f4
        if: _io.size >= 72
        doc: |
          Scan position x (column) of this frame, written by EM-Scan; integral
          values stored as float. May be absent or zero in practice.
      - id: scan_y
        -orig-id: Scan_y
        type: f4
        if: _io.size >= 76
        doc: Scan position y (row) of this frame, written by EM-Scan.
      - id: dens_bias_u_setpoint
        -orig-id: DENS_Bias_U_setpoint
        type: f4
        if: _io.size >= 80
        doc: Bias voltage set-point of a DENSsolutions biasing holder.
      - id: dens_bias_u
        -orig-id: DENS_Bias_U_value
        type: f4
        if: _io.size >= 84
        doc: Measured bias voltage.
      - id: dens_bias_i_setpoint
        -orig-id: DENS_Bias_I_setpoint
        type: f4
        if: _io.size >= 88
        doc: Bias current set-point.
      - id: dens_bias_i
        -orig-id: DENS_Bias_I_value
        type: f4
        if: _io.size >= 92
        doc: Measured bias current.
      - id: dens_bias_e_setpoint
        -orig-id: DENS_Bias_E_setpoint
        type: f4
        if: _io.size >= 96
        doc: Bias field set-point.
      - id: dens_bias_r
        -orig-id: DENS_Bias_R
        type: f4
        if: _io.size >= 100
        doc: Bias resistance.
      - id: dens_bias_limit_u
        -orig-id: DENS_Bias_limit_U
        type: f4
        if: _io.size >= 104
        doc: Compliance limit of the bias voltage.
      - id: dens_bias_limit_i
        -orig-id: DENS_Bias_limit_I
        type: f4
        if: _io.size >= 108
        doc: Compliance limit of the bias current.
      - id: padding
        size-eos: true
        doc: |
          Whatever follows the last whole known field: zero padding in
          HyperSpy's files (`frame_header_extra_bytes`), site- or
          software-specific values in camera files.
    instances:
      len_core:
        value: 60
        doc: |
          Size of the frame header that every known reader understands
          (RosettaSciIO, TVIPSconverter, the TVIPS `recorder` script): the
          fields up to `dens_temperature_setpoint`. HyperSpy's writer writes
          version 2 frame headers of this size.
enums:
  tem_mode:
    1:
      id: imaging
      doc: Imaging mode; `mag_total` is a magnification.
    2:
      id: diffraction
      doc: Diffraction mode; `mag_total` is taken as a camera length.
