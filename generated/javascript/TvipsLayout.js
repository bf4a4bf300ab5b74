// Field tables of the TVIPS format, generated from spec/tvips.ksy by spec/generate.py
// (kaitai-struct-compiler 0.11.0 (2025-09-07T18:59:46Z)): do not edit. Offsets and sizes are in bytes; `jsName` is the
// name the generated parser (Tvips.js, TvipsPos.js) gives a field; `doc` is the first
// paragraph of the spec's doc, `docFull` all of it.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory();
  } else {
    root.TvipsLayout = factory();
  }
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';
  return {
 "title": "TVIPS camera stream (recorder) series",
 "compiler": "kaitai-struct-compiler 0.11.0 (2025-09-07T18:59:46Z)",
 "mainHeaderFields": [
  {
   "id": "len_header",
   "jsName": "lenHeader",
   "origId": "ISize",
   "offset": 0,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Size of this header in bytes; always 256. RosettaSciIO uses the value as the offset of the first record, LiberTEM rejects any other value.",
   "docFull": "Size of this header in bytes; always 256. RosettaSciIO uses the value as the offset of the first record, LiberTEM rejects any other value."
  },
  {
   "id": "version",
   "jsName": "version",
   "origId": "IVersion",
   "offset": 4,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Format version. Version 1 has 12-byte frame headers; version 2 has frame headers of `len_frame_header` bytes.",
   "docFull": "Format version. Version 1 has 12-byte frame headers; version 2 has frame headers of `len_frame_header` bytes."
  },
  {
   "id": "width",
   "jsName": "width",
   "origId": "IXDim",
   "offset": 8,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Image width in pixels (the fast axis, the length of a row), as RosettaSciIO, LiberTEM and pyautoprocess read it. TVIPS's `recorder` script instead shapes each image as `width` rows of `height` pixels; the two agree for square images only, and no non-square camera file has been published to settle it.",
   "docFull": "Image width in pixels (the fast axis, the length of a row), as RosettaSciIO, LiberTEM and pyautoprocess read it. TVIPS's `recorder` script instead shapes each image as `width` rows of `height` pixels; the two agree for square images only, and no non-square camera file has been published to settle it."
  },
  {
   "id": "height",
   "jsName": "height",
   "origId": "IYDim",
   "offset": 12,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Image height in pixels (the number of rows).",
   "docFull": "Image height in pixels (the number of rows)."
  },
  {
   "id": "bits_per_pixel",
   "jsName": "bitsPerPixel",
   "origId": "IBPP",
   "offset": 16,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Bits per pixel; pixels are unsigned integers of `bits_per_pixel / 8` bytes. Camera files hold 8 or 16, and camera software reads only those (LiberTEM accepts 8 and 16, TVIPS's `recorder` script reads anything but 8 as 16-bit, pyautoprocess only 16). 32 and 64 are written by HyperSpy/RosettaSciIO only: its writer stores `bits_per_pixel = 8 × itemsize` of whatever array it is given, so uint32 and uint64 data (sums, counted data) give 32 and 64 (its signed and float data too, as bit patterns that read back unsigned). Leginon reads 8 and 16 as signed integers.",
   "docFull": "Bits per pixel; pixels are unsigned integers of `bits_per_pixel / 8` bytes. Camera files hold 8 or 16, and camera software reads only those (LiberTEM accepts 8 and 16, TVIPS's `recorder` script reads anything but 8 as 16-bit, pyautoprocess only 16). 32 and 64 are written by HyperSpy/RosettaSciIO only: its writer stores `bits_per_pixel = 8 × itemsize` of whatever array it is given, so uint32 and uint64 data (sums, counted data) give 32 and 64 (its signed and float data too, as bit patterns that read back unsigned). Leginon reads 8 and 16 as signed integers."
  },
  {
   "id": "offset_x",
   "jsName": "offsetX",
   "origId": "IXOff",
   "offset": 20,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Camera region-of-interest offset along x, in detector pixels; generally 0. RosettaSciIO misuses it as a physical axis offset.",
   "docFull": "Camera region-of-interest offset along x, in detector pixels; generally 0. RosettaSciIO misuses it as a physical axis offset."
  },
  {
   "id": "offset_y",
   "jsName": "offsetY",
   "origId": "IYOff",
   "offset": 24,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Camera region-of-interest offset along y, in detector pixels.",
   "docFull": "Camera region-of-interest offset along y, in detector pixels."
  },
  {
   "id": "bin_x",
   "jsName": "binX",
   "origId": "IXBin",
   "offset": 28,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Camera binning along x.",
   "docFull": "Camera binning along x."
  },
  {
   "id": "bin_y",
   "jsName": "binY",
   "origId": "IYBin",
   "offset": 32,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Camera binning along y.",
   "docFull": "Camera binning along y."
  },
  {
   "id": "pixel_size_nm",
   "jsName": "pixelSizeNm",
   "origId": "IPixelSize",
   "offset": 36,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Size of an unbinned detector pixel in nm, whatever the binning: the XF416 series of Zenodo 10995139 holds 15500 (the 15.5 µm sensor pixel) at `bin_x` = `bin_y` = 2. A binned image pixel is `pixel_size_nm × bin_x` wide and `pixel_size_nm × bin_y` high, as TVIPS's `recorder` script computes it (\"nm, physical pixel size\"; `pixelsize × binx` in its camera-length calibration). It is not a specimen-plane or reciprocal-space calibration. HyperSpy's and RosettaSciIO's writer, however, store the signal-axis scale here, in nm (imaging) or 1/nm (diffraction), rounded to an integer, and their reader reads it back as that scale; their files are marked by \"HYPERSPY\" in `filler`.",
   "docFull": "Size of an unbinned detector pixel in nm, whatever the binning: the XF416 series of Zenodo 10995139 holds 15500 (the 15.5 µm sensor pixel) at `bin_x` = `bin_y` = 2. A binned image pixel is `pixel_size_nm × bin_x` wide and `pixel_size_nm × bin_y` high, as TVIPS's `recorder` script computes it (\"nm, physical pixel size\"; `pixelsize × binx` in its camera-length calibration). It is not a specimen-plane or reciprocal-space calibration. HyperSpy's and RosettaSciIO's writer, however, store the signal-axis scale here, in nm (imaging) or 1/nm (diffraction), rounded to an integer, and their reader reads it back as that scale; their files are marked by \"HYPERSPY\" in `filler`."
  },
  {
   "id": "high_tension_kv",
   "jsName": "highTensionKv",
   "origId": "IHT",
   "offset": 40,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Accelerating voltage (high tension) in kV.",
   "docFull": "Accelerating voltage (high tension) in kV."
  },
  {
   "id": "mag_total",
   "jsName": "magTotal",
   "origId": "IMagTotal",
   "offset": 44,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Total magnification including the post-magnification and correction factors. In diffraction TVIPS's `recorder` script treats it as the camera length (a comment there says centimetres; not otherwise documented). It can be 0 in diffraction: the XF416 selected-area diffraction series of Zenodo 10995139 holds 0, so no camera length is recorded. 0 means unknown.",
   "docFull": "Total magnification including the post-magnification and correction factors. In diffraction TVIPS's `recorder` script treats it as the camera length (a comment there says centimetres; not otherwise documented). It can be 0 in diffraction: the XF416 selected-area diffraction series of Zenodo 10995139 holds 0, so no camera length is recorded. 0 means unknown."
  },
  {
   "id": "len_frame_header",
   "jsName": "lenFrameHeader",
   "origId": "IImgHeaderBytes",
   "offset": 48,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Size of each frame header in bytes. Only meaningful for version 2; version 1 frame headers are 12 bytes whatever this field says (Leginon nevertheless uses this field for version 1 too). Version 2 files seen so far use 60 (HyperSpy's writer), 108 or 112 (EM-Scan, per LiberTEM) and 180: the XF416 MicroED series of Zenodo 10995139 holds 180, the deposit's MATLAB reader skips 180 bytes before each image, and pyautoprocess's tests build 180-byte headers. Bytes past the fields known below are kept as `padding`.",
   "docFull": "Size of each frame header in bytes. Only meaningful for version 2; version 1 frame headers are 12 bytes whatever this field says (Leginon nevertheless uses this field for version 1 too). Version 2 files seen so far use 60 (HyperSpy's writer), 108 or 112 (EM-Scan, per LiberTEM) and 180: the XF416 MicroED series of Zenodo 10995139 holds 180, the deposit's MATLAB reader skips 180 bytes before each image, and pyautoprocess's tests build 180-byte headers. Bytes past the fields known below are kept as `padding`."
  },
  {
   "id": "filler",
   "jsName": "filler",
   "origId": "dummy",
   "offset": 52,
   "size": 204,
   "ksyType": "bytes[204]",
   "dtype": "V204",
   "enum": null,
   "doc": "Unused filler to the end of the 256-byte header. In the XF416 series of Zenodo 10995139 it is 204 zero bytes (its SHA-256, as published, is that of 204 zeros; no \"TVIPS\" text). That camera files hold \"TVIPS TVIPS …\" is a comment in TVIPSconverter, not seen in a published file. HyperSpy's writer puts \"HYPERSPY HYPERSPY …\", tvips-ks's \"TVIPS-KS …\".",
   "docFull": "Unused filler to the end of the 256-byte header. In the XF416 series of Zenodo 10995139 it is 204 zero bytes (its SHA-256, as published, is that of 204 zeros; no \"TVIPS\" text). That camera files hold \"TVIPS TVIPS …\" is a comment in TVIPSconverter, not seen in a published file. HyperSpy's writer puts \"HYPERSPY HYPERSPY …\", tvips-ks's \"TVIPS-KS …\"."
  }
 ],
 "frameHeaderFields": [
  {
   "id": "counter",
   "jsName": "counter",
   "origId": "ICounter",
   "offset": 0,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Image counter. LiberTEM: continues through all files; RosettaSciIO and TVIPSconverter: \"tends to cycle\". HyperSpy's writer leaves it 0.",
   "docFull": "Image counter. LiberTEM: continues through all files; RosettaSciIO and TVIPSconverter: \"tends to cycle\". HyperSpy's writer leaves it 0."
  },
  {
   "id": "timestamp_s",
   "jsName": "timestampS",
   "origId": "ITime",
   "offset": 4,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Acquisition time, whole seconds since 1970-01-01. TVIPS staff are quoted saying the time is recorded in local time; RosettaSciIO reads it as a Unix (UTC) time.",
   "docFull": "Acquisition time, whole seconds since 1970-01-01. TVIPS staff are quoted saying the time is recorded in local time; RosettaSciIO reads it as a Unix (UTC) time."
  },
  {
   "id": "timestamp_ms",
   "jsName": "timestampMs",
   "origId": "IMS",
   "offset": 8,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Milliseconds to add to `timestamp_s` (0 to 999).",
   "docFull": "Milliseconds to add to `timestamp_s` (0 to 999)."
  },
  {
   "id": "lut_index",
   "jsName": "lutIndex",
   "origId": "LUT_Index",
   "offset": 12,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Index of a display look-up table; the same value in every frame.",
   "docFull": "Index of a display look-up table; the same value in every frame."
  },
  {
   "id": "faraday",
   "jsName": "faraday",
   "origId": "Faraday",
   "offset": 16,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Faraday-cup reading; unit undocumented, usually 0. RosettaSciIO maps it to the beam current.",
   "docFull": "Faraday-cup reading; unit undocumented, usually 0. RosettaSciIO maps it to the beam current."
  },
  {
   "id": "tem_magnification",
   "jsName": "temMagnification",
   "origId": "TEM_Mag",
   "offset": 20,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Magnification reported by the microscope; the same for all frames, and it may differ from the main header's `mag_total`.",
   "docFull": "Magnification reported by the microscope; the same for all frames, and it may differ from the main header's `mag_total`."
  },
  {
   "id": "tem_mode",
   "jsName": "temMode",
   "origId": "TEM_Mag_mode",
   "offset": 24,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": "tem_mode",
   "doc": "Microscope mode, imaging or diffraction.",
   "docFull": "Microscope mode, imaging or diffraction."
  },
  {
   "id": "stage_x",
   "jsName": "stageX",
   "origId": "TEM_Stage_x",
   "offset": 28,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Stage x position in nm (per LiberTEM).",
   "docFull": "Stage x position in nm (per LiberTEM)."
  },
  {
   "id": "stage_y",
   "jsName": "stageY",
   "origId": "TEM_Stage_y",
   "offset": 32,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Stage y position in nm (per LiberTEM).",
   "docFull": "Stage y position in nm (per LiberTEM)."
  },
  {
   "id": "stage_z",
   "jsName": "stageZ",
   "origId": "TEM_Stage_z",
   "offset": 36,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Stage z position in nm (per LiberTEM).",
   "docFull": "Stage z position in nm (per LiberTEM)."
  },
  {
   "id": "stage_alpha",
   "jsName": "stageAlpha",
   "origId": "TEM_Stage_alpha",
   "offset": 40,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Stage tilt alpha in degrees.",
   "docFull": "Stage tilt alpha in degrees."
  },
  {
   "id": "stage_beta",
   "jsName": "stageBeta",
   "origId": "TEM_Stage_beta",
   "offset": 44,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Stage tilt beta in degrees.",
   "docFull": "Stage tilt beta in degrees."
  },
  {
   "id": "rotator_index",
   "jsName": "rotatorIndex",
   "origId": "Index_of_rotator",
   "offset": 48,
   "size": 4,
   "ksyType": "u4",
   "dtype": "<u4",
   "enum": null,
   "doc": "Rotator index (RosettaSciIO's `rotidx`), written by EM-Konos: the 1-based index of the scan point this frame belongs to. Values repeat or skip when the beam dwell time and the camera frame time are not synchronised; frames outside the scan carry a constant value.",
   "docFull": "Rotator index (RosettaSciIO's `rotidx`), written by EM-Konos: the 1-based index of the scan point this frame belongs to. Values repeat or skip when the beam dwell time and the camera frame time are not synchronised; frames outside the scan carry a constant value."
  },
  {
   "id": "dens_temperature",
   "jsName": "densTemperature",
   "origId": "DENS_T_measure",
   "offset": 52,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Measured temperature of a DENSsolutions in-situ holder (LiberTEM). RosettaSciIO calls this field `temperature` and notes that it \"cycles between 0.0 and 9.0 with step 1.0\".",
   "docFull": "Measured temperature of a DENSsolutions in-situ holder (LiberTEM). RosettaSciIO calls this field `temperature` and notes that it \"cycles between 0.0 and 9.0 with step 1.0\"."
  },
  {
   "id": "dens_temperature_setpoint",
   "jsName": "densTemperatureSetpoint",
   "origId": "DENS_T_setpoint",
   "offset": 56,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Temperature set-point of a DENSsolutions holder (LiberTEM). RosettaSciIO calls this field `objective` and reports it as the defocus; the two sources disagree.",
   "docFull": "Temperature set-point of a DENSsolutions holder (LiberTEM). RosettaSciIO calls this field `objective` and reports it as the defocus; the two sources disagree."
  },
  {
   "id": "dens_power",
   "jsName": "densPower",
   "origId": "DENS_Power",
   "offset": 60,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Heating power of a DENSsolutions holder.",
   "docFull": "Heating power of a DENSsolutions holder."
  },
  {
   "id": "objective_current",
   "jsName": "objectiveCurrent",
   "origId": "TEM_Obj_current",
   "offset": 64,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Objective lens current; unit undocumented.",
   "docFull": "Objective lens current; unit undocumented."
  },
  {
   "id": "scan_x",
   "jsName": "scanX",
   "origId": "Scan_x",
   "offset": 68,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Scan position x (column) of this frame, written by EM-Scan; integral values stored as float. May be absent or zero in practice.",
   "docFull": "Scan position x (column) of this frame, written by EM-Scan; integral values stored as float. May be absent or zero in practice."
  },
  {
   "id": "scan_y",
   "jsName": "scanY",
   "origId": "Scan_y",
   "offset": 72,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Scan position y (row) of this frame, written by EM-Scan.",
   "docFull": "Scan position y (row) of this frame, written by EM-Scan."
  },
  {
   "id": "dens_bias_u_setpoint",
   "jsName": "densBiasUSetpoint",
   "origId": "DENS_Bias_U_setpoint",
   "offset": 76,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Bias voltage set-point of a DENSsolutions biasing holder.",
   "docFull": "Bias voltage set-point of a DENSsolutions biasing holder."
  },
  {
   "id": "dens_bias_u",
   "jsName": "densBiasU",
   "origId": "DENS_Bias_U_value",
   "offset": 80,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Measured bias voltage.",
   "docFull": "Measured bias voltage."
  },
  {
   "id": "dens_bias_i_setpoint",
   "jsName": "densBiasISetpoint",
   "origId": "DENS_Bias_I_setpoint",
   "offset": 84,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Bias current set-point.",
   "docFull": "Bias current set-point."
  },
  {
   "id": "dens_bias_i",
   "jsName": "densBiasI",
   "origId": "DENS_Bias_I_value",
   "offset": 88,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Measured bias current.",
   "docFull": "Measured bias current."
  },
  {
   "id": "dens_bias_e_setpoint",
   "jsName": "densBiasESetpoint",
   "origId": "DENS_Bias_E_setpoint",
   "offset": 92,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Bias field set-point.",
   "docFull": "Bias field set-point."
  },
  {
   "id": "dens_bias_r",
   "jsName": "densBiasR",
   "origId": "DENS_Bias_R",
   "offset": 96,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Bias resistance.",
   "docFull": "Bias resistance."
  },
  {
   "id": "dens_bias_limit_u",
   "jsName": "densBiasLimitU",
   "origId": "DENS_Bias_limit_U",
   "offset": 100,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Compliance limit of the bias voltage.",
   "docFull": "Compliance limit of the bias voltage."
  },
  {
   "id": "dens_bias_limit_i",
   "jsName": "densBiasLimitI",
   "origId": "DENS_Bias_limit_I",
   "offset": 104,
   "size": 4,
   "ksyType": "f4",
   "dtype": "<f4",
   "enum": null,
   "doc": "Compliance limit of the bias current.",
   "docFull": "Compliance limit of the bias current."
  },
  {
   "id": "padding",
   "jsName": "padding",
   "origId": "",
   "offset": 108,
   "size": null,
   "ksyType": "bytes",
   "dtype": null,
   "enum": null,
   "doc": "Whatever follows the last whole known field: zero padding in HyperSpy's files (`frame_header_extra_bytes`), site- or software-specific values in camera files.",
   "docFull": "Whatever follows the last whole known field: zero padding in HyperSpy's files (`frame_header_extra_bytes`), site- or software-specific values in camera files."
  }
 ],
 "framePadding": "padding",
 "mainHeaderInstances": [
  {
   "id": "len_frame_header_in_use",
   "jsName": "lenFrameHeaderInUse",
   "doc": "Size of each frame header in this series, in bytes."
  },
  {
   "id": "bytes_per_pixel",
   "jsName": "bytesPerPixel",
   "doc": "Size of one pixel in bytes."
  },
  {
   "id": "len_image",
   "jsName": "lenImage",
   "doc": "Size of one image in bytes."
  },
  {
   "id": "len_record",
   "jsName": "lenRecord",
   "doc": "Size of one record (frame header and image) in bytes."
  }
 ],
 "record": {
  "frame_header": {
   "id": "frame_header",
   "jsName": "frameHeader",
   "doc": "The frame header."
  },
  "image": {
   "id": "image",
   "jsName": "image",
   "doc": "The image: `height` rows of `width` pixels, row-major (the pixel at row y, column x is at byte `(y * width + x) * bytes_per_pixel`), each pixel a little-endian unsigned integer of `bytes_per_pixel` bytes. Leginon reads pixels as signed int8/int16 (and its upload code clamps values below −1 to −1), so 16-bit counts of 32768 and more turn negative there."
  }
 },
 "typeDocs": {
  "continuation_part": "A continuation file of a series (`_001`, `_002`, …): records only, no main header. The layout of its records comes from the main header of the series' `_000` file, passed as a parameter.",
  "main_header": "The 256-byte header at the start of the `_000` file. It fixes the layout of every record of the series.",
  "record": "One frame of the series, its frame header then its image.",
  "frame_header": "The header before each image. Version 1 has the first three fields only (12 bytes). Version 2 headers are `len_frame_header` bytes long; the fields below exist only when the header is long enough to hold them whole, and whatever follows the last whole field is `padding`. RosettaSciIO, TVIPSconverter and the TVIPS `recorder` script know the first 60 bytes; LiberTEM knows 108 (the fields from `dens_power` on are its names). Bytes beyond 108 are site- or software-specific."
 },
 "lenMainHeader": 256,
 "lenFrameHeaderV1": 12,
 "minLenFrameHeaderV2": 12,
 "versions": [
  1,
  2
 ],
 "bitsPerPixel": [
  8,
  16,
  32,
  64
 ],
 "minWidth": 1,
 "minHeight": 1,
 "enums": {
  "tem_mode": {
   "1": {
    "id": "imaging",
    "doc": "Imaging mode; `mag_total` is a magnification."
   },
   "2": {
    "id": "diffraction",
    "doc": "Diffraction mode; `mag_total` is taken as a camera length."
   }
  }
 }
};
});
