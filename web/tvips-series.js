// A TVIPS series in the browser: its parts, headers, checks and scan.
//
// Built on what spec/generate.py emits from spec/tvips.ksy: the
// position-recording Kaitai parser (TvipsPos.js, global `Tvips`), the field
// tables (TvipsLayout.js, global `TvipsLayout`) and the Kaitai runtime
// (KaitaiStream.js). No byte offset, size or type is written here: the main
// header and frame headers are parsed by the generated parser, record sizes
// come from its instances (lenRecord, lenImage, …), and the bulk columns that
// plots and checks use are read at the offsets and types of the field tables.
//
// The checks mirror tvips_ks/check.py, the time summary `tvips-ks info`, and
// the scan detection the header-decided methods of tvips_ks/detect.py (scan
// positions, rotator index). Frames are never read here; only headers, each
// through a strided read of the files (see tvips-io.js).
(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(require('../generated/javascript/KaitaiStream.js'),
      require('../generated/javascript/TvipsPos.js'), require('../generated/javascript/TvipsLayout.js'),
      require('./tvips-io.js'));
  } else {
    root.TvipsSeries = factory(root.KaitaiStream, root.Tvips, root.TvipsLayout, root.tvipsIoFactory);
  }
})(typeof self !== 'undefined' ? self : this, function (KaitaiStream, TvipsModule, L, tvipsIoFactory) {
  'use strict';

  var Parser = TvipsModule.Tvips;
  var io = tvipsIoFactory();

  // ------------------------------------------------------------------ names

  var PART = /^(.+)_(\d{3})(\.tvips)$/i;
  var BARE = /^(.+)(\.tvips)$/i;

  /** {stem, index, ext} of `name_NNN.tvips`, or null. */
  function parsePartName(name) {
    var m = PART.exec(name);
    return m ? { stem: m[1], index: parseInt(m[2], 10), ext: m[3] } : null;
  }

  /**
   * Put dropped files in order: the series that has a _000 part (the first by
   * name if several), its parts numbered from 000 up to the first gap.
   */
  function arrangeParts(sources) {
    var ignored = [], groups = new Map(), seen = new Set();
    sources.forEach(function (src) {
      if (seen.has(src.name)) return;
      seen.add(src.name);
      var p = parsePartName(src.name);
      if (!p) {
        ignored.push({ name: src.name, reason: BARE.test(src.name)
          ? 'no part number: TVIPS series are named NAME_000.tvips, NAME_001.tvips, …'
          : 'not a TVIPS file name (NAME_000.tvips)' });
        return;
      }
      var key = p.stem + '\u0000' + p.ext;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push({ source: src, index: p.index, stem: p.stem, ext: p.ext });
    });
    var keys = Array.from(groups.keys()).sort();
    var chosen = keys.filter(function (k) {
      return groups.get(k).some(function (p) { return p.index === 0; });
    })[0];
    keys.forEach(function (k) {
      if (k === chosen) return;
      groups.get(k).forEach(function (p) {
        ignored.push({ name: p.source.name, reason: chosen === undefined
          ? 'its series has no _000 part, which holds the main header'
          : 'another series' });
      });
    });
    if (chosen === undefined) return { parts: [], afterGap: [], missing: null, ignored: ignored };
    var parts = groups.get(chosen).sort(function (a, b) { return a.index - b.index; });
    var gap = parts.findIndex(function (p, i) { return p.index !== i; });
    if (gap < 0) return { parts: parts, afterGap: [], missing: null, ignored: ignored };
    var first = parts[0];
    return { parts: parts.slice(0, gap), afterGap: parts.slice(gap),
      missing: first.stem + '_' + String(gap).padStart(3, '0') + first.ext, ignored: ignored };
  }

  // ------------------------------------------------------------------ values

  function hex(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }

  /** Shortest decimal that reads back as the same float32 (numpy's str(np.float32)). */
  function fmtFloat32(v) {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
    for (var p = 1; p <= 9; p++) {
      var s = v.toPrecision(p);
      if (Math.fround(parseFloat(s)) === v) {
        var x = parseFloat(s), e = Math.floor(Math.log10(Math.abs(x)));
        if (e >= 16 || e < -4) {
          var parts = x.toExponential().split('e');
          var exp = parseInt(parts[1], 10);
          return parts[0] + 'e' + (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');
        }
        var t = String(x);
        return t.indexOf('.') < 0 && t.indexOf('e') < 0 ? t + '.0' : t;
      }
    }
    return String(v);
  }

  /** Python's format(x, 'g'). */
  function fmtG(x) {
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    if (x === 0) return '0';
    var parts = x.toExponential(5).split('e'), e = parseInt(parts[1], 10);
    if (e < -4 || e >= 6) {
      var m = parts[0].replace(/\.?0+$/, '');
      return m + 'e' + (e < 0 ? '-' : '+') + String(Math.abs(e)).padStart(2, '0');
    }
    var f = x.toFixed(Math.max(0, 5 - e));
    return f.indexOf('.') >= 0 ? f.replace(/\.?0+$/, '') : f;
  }

  /** Python's format(x, ',.1f'). */
  function fmtThousands1(x) {
    var s = x.toFixed(1), neg = s[0] === '-';
    if (neg) s = s.slice(1);
    var dot = s.indexOf('.'), int = s.slice(0, dot);
    int = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return (neg ? '-' : '') + int + s.slice(dot);
  }

  /** 'YYYY-mm-dd HH:MM:SS.mmm' (UTC) of milliseconds since 1970. */
  function fmtTime(ms) {
    return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  }

  function fmtBytes(n) {
    var units = [['GiB', Math.pow(2, 30)], ['MiB', Math.pow(2, 20)], ['KiB', 1024]];
    for (var i = 0; i < units.length; i++) {
      if (n >= units[i][1]) return (n / units[i][1]).toFixed(1) + ' ' + units[i][0];
    }
    return n + ' bytes';
  }

  function median(values) {
    if (!values.length) return NaN;
    var s = Float64Array.from(values).sort(), m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  /** numpy's rint: round half to even. */
  function rint(v) {
    var r = Math.round(v);
    if (Math.abs(v % 1) === 0.5) r = 2 * Math.round(v / 2);
    return r;
  }

  // ------------------------------------------------------------------ spec tables

  var MAIN_FIELDS = L.mainHeaderFields;
  var FRAME_FIELDS = L.frameHeaderFields;
  var BY_JS = {};
  MAIN_FIELDS.concat(FRAME_FIELDS).forEach(function (f) { BY_JS[f.jsName] = f; });

  /** The frame-header fields a header of `len` bytes holds whole (as tvips_ks.layout). */
  function frameHeaderFields(len) {
    return FRAME_FIELDS.filter(function (f) { return f.size !== null && f.offset + f.size <= len; });
  }

  var DATAVIEW_GETTERS = {
    '<u1': 'getUint8', '<u2': 'getUint16', '<u4': 'getUint32', '<u8': 'getBigUint64',
    '<i1': 'getInt8', '<i2': 'getInt16', '<i4': 'getInt32', '<i8': 'getBigInt64',
    '<f4': 'getFloat32', '<f8': 'getFloat64',
  };

  function enumId(field, value) {
    if (!field || !field.enum) return null;
    var e = L.enums[field.enum] && L.enums[field.enum][String(value)];
    return e ? e.id : null;
  }

  // ------------------------------------------------------------------ parsing

  /** A Kaitai stream over `bytes` (a Uint8Array) alone. */
  function streamOf(bytes) {
    return new KaitaiStream(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /**
   * The main header parsed by the generated parser; on a validation failure
   * the fields read up to it are kept (as `tvips-ks dump` shows them).
   */
  function parseMainHeader(bytes) {
    var header = Object.create(Parser.MainHeader.prototype), error = null;
    try {
      Parser.MainHeader.call(header, streamOf(bytes), null, null);
    } catch (err) {
      error = err;
    }
    return { header: header, error: error };
  }

  function parseFrameHeader(bytes) {
    return new Parser.FrameHeader(streamOf(bytes), null, null);
  }

  /** Spec id -> value of a parsed object's seq fields (bytes as hex, enums as numbers). */
  function valuesOf(obj, fields) {
    var out = {};
    fields.forEach(function (f) {
      if (!(f.jsName in obj._debug) || obj[f.jsName] === undefined) return;
      var v = obj[f.jsName];
      out[f.id] = v instanceof Uint8Array ? hex(v) : v;
    });
    return out;
  }

  function errorText(err) {
    if (!err) return null;
    var what = err.name || 'Error';
    return what + ': ' + (err.message || String(err));
  }

  // ------------------------------------------------------------------ audit rows

  function valueText(value, row) {
    if (value instanceof Uint8Array) {
      if (!value.length) return '(none)';
      var zero = value.every(function (b) { return b === 0; });
      if (zero) return value.length + ' zero bytes';
      var s = '';
      for (var i = 0; i < Math.min(20, value.length); i++) {
        var b = value[i];
        s += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
      }
      return "'" + s + (value.length > 20 ? '…' : '') + "'";
    }
    if (row.enum) return row.value + ' (' + row.enum + ')';
    if (row.type === 'f4' || row.type === 'f8') return fmtFloat32(value);
    return String(value);
  }

  /**
   * Rows of offset, size, type, id, original name, value and doc of a parsed
   * object: positions from the parser's `_debug`, the rest from the tables.
   */
  function auditRows(obj, base, fields) {
    var rows = [];
    fields.forEach(function (f) {
      var pos = obj._debug[f.jsName];
      if (!pos || pos.end === undefined || obj[f.jsName] === undefined) return;
      var v = obj[f.jsName], size = pos.end - pos.start;
      var row = { offset: base + pos.start, size: size,
        type: f.size === null ? 'bytes[' + size + ']' : f.ksyType, id: f.id, orig_id: f.origId,
        value: v instanceof Uint8Array ? hex(v) : v, doc: f.doc };
      if (f.enum) row.enum = enumId(f, v);
      row.text = valueText(v, row);
      rows.push(row);
    });
    return rows;
  }

  // ------------------------------------------------------------------ the series

  /**
   * Open a series from sources (see tvips-io.js). `onProgress(text, done, total)`
   * reports the header pass. Resolves to a Series; a series that cannot be read
   * at all has `fatal` set and as much as could be read.
   */
  async function openSeries(sources, onProgress) {
    var s = new Series();
    var arranged = arrangeParts(sources);
    s.ignored = arranged.ignored;
    s.missing = arranged.missing;
    s.afterGap = arranged.afterGap.map(function (p) { return p.source.name; });
    if (!arranged.parts.length) {
      s.fatal = sources.length ? 'no NAME_000.tvips among the files: the _000 part holds the main header'
        : 'no files';
      return s;
    }
    var first = arranged.parts[0].source;
    s.name = first.name;
    var len = L.lenMainHeader;
    if (first.size < len) {
      s.fatal = first.name + ': the file has ' + first.size + ' bytes, fewer than the ' + len +
        '-byte main header';
      return s;
    }
    var raw = await io.readRange(first, 0, len);
    var parsed = parseMainHeader(raw);
    s.mainHeader = parsed.header;
    s.headerError = errorText(parsed.error);
    s.header = valuesOf(parsed.header, MAIN_FIELDS);
    s.mainRows = auditRows(parsed.header, 0, MAIN_FIELDS);
    if (parsed.error) {
      var failed = s.mainRows.length ? MAIN_FIELDS[s.mainRows.length - 1].id : '?';
      s.headerErrorField = failed;
      s.problems.push(problem(first.name, 'header', 'the main header does not match the spec: ' +
        s.headerError + ' (field ' + failed + ')', null, null));
    }
    if (!layoutUsable(s.header)) {
      s.fatal = 'the main header does not describe a readable layout';
      return s;
    }
    var h = parsed.header;
    // record sizes from the parser's instances (spec: len_frame_header_in_use, len_image, len_record)
    s.layout = { version: h.version, width: h.width, height: h.height, bits_per_pixel: h.bitsPerPixel,
      bytes_per_pixel: h.bytesPerPixel, len_frame_header: h.lenFrameHeaderInUse,
      len_image: h.lenImage, len_record: h.lenRecord };
    s.fields = frameHeaderFields(s.layout.len_frame_header);

    // the part table, from file sizes (as tvips_ks.check and open(permissive=True))
    if (arranged.missing) {
      var later = arranged.afterGap.slice(0, 3).map(function (p) { return p.source.name; }).join(', ') +
        (arranged.afterGap.length > 3 ? ', …' : '');
      s.problems.push(problem(arranged.missing, 'numbering', 'part ' + arranged.missing + ' is missing but ' +
        'later parts exist (' + later + '); the series is read up to the gap, so the ' +
        arranged.afterGap.length + ' later part(s) are not checked', null, null));
    }
    var lenRecord = s.layout.len_record, firstFrame = 0, staleAt = null;
    arranged.parts.forEach(function (p, index) {
      var offset = index === 0 ? len : 0;
      var avail = Math.max(p.source.size - offset, 0);
      var n = Math.floor(avail / lenRecord), rest = avail - n * lenRecord;
      var last = index === arranged.parts.length - 1;
      var part = { source: p.source, name: p.source.name, index: index, offset: offset,
        num_frames: n, first_frame: firstFrame, size: p.source.size, trailing_bytes: rest };
      if (rest && !last) {
        s.problems.push(problem(p.source.name, 'stale-part', p.source.size + ' bytes is not a whole number of ' +
          lenRecord + '-byte records (' + n + ' records and ' + rest + ' bytes over): a stale part of ' +
          'another acquisition (another record size) or a damaged copy; readers refuse the series ' +
          '(tvips_ks.open needs permissive=True); move it and the parts after it away. Frame headers ' +
          'from here on are not checked', offset + n * lenRecord, null));
        if (staleAt === null) staleAt = index;
      } else if (rest) {
        s.problems.push(problem(p.source.name, 'partial-record', 'partial record of ' + rest +
          ' bytes after ' + n + ' whole record(s) (records are ' + lenRecord + ' bytes): the ' +
          'acquisition stopped mid-frame; readers drop it', offset + n * lenRecord, null));
      }
      if (n === 0 && index > 0 && p.source.size === 0) {
        s.problems.push(problem(p.source.name, 'empty-part', 'the part is empty (0 bytes)', null, null));
      }
      part.checked = staleAt === null;
      s.parts.push(part);
      firstFrame += n;
    });
    s.numFrames = firstFrame;
    s.checkedFrames = s.parts.filter(function (p) { return p.checked; })
      .reduce(function (a, p) { return a + p.num_frames; }, 0);
    if (s.checkedFrames === 0) {
      s.problems.push(problem(first.name, 'no-frames', 'the series holds no complete frame (records ' +
        'are ' + lenRecord + ' bytes)', null, null));
    }
    if (s.numFrames === 0) {
      s.fatal = 'the series holds no complete frame (records are ' + lenRecord + ' bytes)';
      s.sortProblems();
      return s;
    }

    // every frame header, by strided reads of each part
    var lfh = s.layout.len_frame_header;
    s.headersRaw = new Uint8Array(s.numFrames * lfh);
    var done = 0;
    for (var part of s.parts) {
      var step = Math.max(1, Math.floor(io.WINDOW_BYTES / lfh));
      for (var k = 0; k < part.num_frames; k += step) {
        var n = Math.min(step, part.num_frames - k);
        var bytes = await io.readStrided(part.source, part.offset + k * lenRecord, lenRecord, lfh, n);
        s.headersRaw.set(bytes, (part.first_frame + k) * lfh);
        done += n;
        if (onProgress) onProgress('reading frame headers', done, s.numFrames);
      }
    }
    s.runChecks();
    s.summarizeTime();
    s.summarizeFields();
    try {
      s.scan = detectScan(s);
      if (!s.scan) s.scanNote = s.scanNotes.join('; ');
    } catch (err) {
      s.scan = null;
      s.scanNote = err.message;
    }
    s.sortProblems();
    return s;
  }

  function layoutUsable(header) {
    var v = header.version;
    return header.len_frame_header !== undefined && L.versions.indexOf(v) >= 0 &&
      header.width >= L.minWidth && header.height >= L.minHeight &&
      L.bitsPerPixel.indexOf(header.bits_per_pixel) >= 0 &&
      (v === 1 || header.len_frame_header >= L.minLenFrameHeaderV2);
  }

  function problem(path, kind, message, offset, frame) {
    return { path: path, kind: kind, message: message, offset: offset === undefined ? null : offset,
      frame: frame === undefined ? null : frame };
  }

  var KINDS = ['header', 'numbering', 'stale-part', 'empty-part', 'partial-record', 'no-frames',
    'counter', 'timestamp', 'rotator'];

  function Series() {
    this.name = null;
    this.fatal = null;
    this.parts = [];
    this.problems = [];
    this.ignored = [];
    this.header = {};
    this.numFrames = 0;
    this.columns = {};
    this.scan = null;
    this.scanNote = null;
    this.scanNotes = [];
  }

  Series.prototype.sortProblems = function () {
    this.problems.forEach(function (p, i) { p._i = i; });
    this.problems.sort(function (a, b) {
      return (KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind)) || (a._i - b._i);
    });
    this.problems.forEach(function (p) { delete p._i; });
  };

  /** Whether frame headers of this series hold the field `id`. */
  Series.prototype.hasField = function (id) {
    return this.fields.some(function (f) { return f.id === id; });
  };

  /** One value per frame of a frame-header field, read at the field table's offset and type. */
  Series.prototype.column = function (id) {
    if (this.columns[id]) return this.columns[id];
    var f = this.fields.filter(function (g) { return g.id === id; })[0];
    if (!f) throw new Error('the frame headers of this series have no field ' + id);
    var getter = DATAVIEW_GETTERS[f.dtype], n = this.numFrames, lfh = this.layout.len_frame_header;
    var view = new DataView(this.headersRaw.buffer, this.headersRaw.byteOffset, this.headersRaw.byteLength);
    var out = f.dtype[1] === 'f' ? new Float64Array(n) : new Float64Array(n);
    for (var i = 0; i < n; i++) out[i] = Number(view[getter](i * lfh + f.offset, true));
    this.columns[id] = out;
    return out;
  };

  /** Milliseconds since 1970 of every frame (timestamp_s * 1000 + timestamp_ms). */
  Series.prototype.timesMs = function () {
    if (this.columns._time_ms) return this.columns._time_ms;
    var s = this.column('timestamp_s'), ms = this.column('timestamp_ms');
    var t = new Float64Array(this.numFrames);
    for (var i = 0; i < t.length; i++) t[i] = s[i] * 1000 + ms[i];
    this.columns._time_ms = t;
    return t;
  };

  Series.prototype.headerBytes = function (i) {
    var lfh = this.layout.len_frame_header;
    return this.headersRaw.subarray(i * lfh, (i + 1) * lfh);
  };

  /** Frame header i parsed by the generated parser: spec id -> value (bytes as hex). */
  Series.prototype.frameHeader = function (i) {
    if (!(i >= 0 && i < this.numFrames)) throw new RangeError('frame ' + i + ' is out of range 0..' + (this.numFrames - 1));
    var fh = parseFrameHeader(this.headerBytes(i));
    return valuesOf(fh, FRAME_FIELDS);
  };

  /** The part holding frame i and the byte offset of its record. */
  Series.prototype.locate = function (i) {
    var parts = this.parts, lo = 0;
    for (var k = 0; k < parts.length; k++) if (parts[k].num_frames && parts[k].first_frame <= i) lo = k;
    var part = parts[lo];
    return { part: part, record: part.offset + (i - part.first_frame) * this.layout.len_record,
      local: i - part.first_frame };
  };

  /**
   * The audit table of frame i: the position-recording parser's field
   * positions, shifted to the record's offset in its file, and the image.
   */
  Series.prototype.auditFrame = function (i) {
    var where = this.locate(i), fh = parseFrameHeader(this.headerBytes(i));
    var rows = auditRows(fh, where.record, FRAME_FIELDS);
    var h = this.mainHeader, image = L.record.image;
    rows.push({ offset: where.record + h.lenFrameHeaderInUse, size: h.lenImage,
      type: 'bytes[' + h.lenImage + ']', id: image.id, orig_id: '', value: null, doc: image.doc,
      text: h.height + '×' + h.width + ' u' + h.bitsPerPixel + ' pixels' });
    return { frame: i, path: where.part.name, part: where.part.index, record_offset: where.record,
      record_size: this.layout.len_record, local: where.local, fields: rows };
  };

  /** Pixels of frame i: {pixels (typed array, row-major), width, height}. */
  Series.prototype.readFrame = async function (i) {
    var where = this.locate(i), lay = this.layout;
    var start = where.record + lay.len_frame_header;
    var bytes = await io.readRange(where.part.source, start, start + lay.len_image);
    var n = lay.width * lay.height, bpp = lay.bytes_per_pixel, view = new DataView(bytes.buffer);
    var pixels = bpp === 1 ? bytes : bpp === 2 ? new Uint16Array(n) : new Uint32Array(n);
    if (bpp === 2) for (var k = 0; k < n; k++) pixels[k] = view.getUint16(2 * k, true);
    if (bpp === 4) for (var j = 0; j < n; j++) pixels[j] = view.getUint32(4 * j, true);
    return { pixels: pixels, width: lay.width, height: lay.height };
  };

  /** What the VBF worker needs: sources and record geometry, structured-cloneable. */
  Series.prototype.vbfJob = function (radius, center) {
    var lay = this.layout;
    return { parts: this.parts.filter(function (p) { return p.num_frames; }).map(function (p) {
      return { source: p.source, offset: p.offset, numFrames: p.num_frames, firstFrame: p.first_frame };
    }), numFrames: this.numFrames, lenRecord: lay.len_record, lenFrameHeader: lay.len_frame_header,
    width: lay.width, height: lay.height, bytesPerPixel: lay.bytes_per_pixel,
    radius: radius === undefined ? null : radius, center: center || null };
  };

  // ------------------------------------------------------------------ checks (tvips_ks/check.py)

  Series.prototype.locatedProblem = function (kind, frame, field, message) {
    var where = this.locate(frame), f = this.fields.filter(function (g) { return g.id === field; })[0];
    if (frame === where.part.first_frame && where.part.index > 0) {
      message += ' (at the start of part ' + where.part.name + ': is this part from another acquisition?)';
    }
    return problem(where.part.name, kind, 'frame ' + frame + ': ' + message, where.record + f.offset, frame);
  };

  Series.prototype.runChecks = function () {
    var n = this.checkedFrames, self = this;
    if (!n) return;
    var c = this.column('counter').subarray(0, n);
    if (n >= 2 && !c.every(function (v) { return v === c[0]; })) {
      for (var i = 0; i + 1 < n; i++) {
        var a = c[i], b = c[i + 1];
        if (b - a === 1) continue;
        var what = b > a ? 'counter jumps from ' + a + ' to ' + b + ': ' + (b - a - 1) +
          ' frame(s) missing or the counter is not continuous'
          : b === a ? 'counter repeats ' + a + ': a duplicated frame?'
            : 'counter goes back from ' + a + ' to ' + b;
        this.problems.push(this.locatedProblem('counter', i + 1, 'counter', what));
      }
    }
    var ms = this.column('timestamp_ms').subarray(0, n);
    var badMs = [];
    ms.forEach(function (v, k) { if (v > 999) badMs.push(k); });
    if (badMs.length) {
      var more = badMs.length > 1 ? ' (and in ' + (badMs.length - 1) + ' more frame(s))' : '';
      this.problems.push(this.locatedProblem('timestamp', badMs[0], 'timestamp_ms', 'timestamp_ms is ' +
        ms[badMs[0]] + ', outside 0..999' + more));
    }
    var t = this.timesMs().subarray(0, n);
    if (n >= 2) {
      var steps = [];
      for (var j = 0; j + 1 < n; j++) steps.push(t[j + 1] - t[j]);
      var positive = steps.filter(function (d) { return d > 0; });
      var med = positive.length ? median(positive) : 0;
      var threshold = Math.max(60 * 1000, 1000 * med);
      steps.forEach(function (d, k) {
        if (!(d < 0 || d > threshold)) return;
        var from = fmtTime(t[k]), to = fmtTime(t[k + 1]);
        var text = d < 0 ? 'timestamp goes back by ' + (-d / 1000).toFixed(3) + ' s (from ' + from +
          ' to ' + to + ' UTC)' : 'timestamp jumps forward by ' + (d / 1000).toFixed(3) + ' s (from ' +
          from + ' to ' + to + ' UTC; frames are ' + (med / 1000).toFixed(3) + ' s apart elsewhere)';
        self.problems.push(self.locatedProblem('timestamp', k + 1, 'timestamp_s', text));
      });
    }
    if (this.hasField('rotator_index') && n >= 2) {
      var r = this.column('rotator_index').subarray(0, n);
      if (!r.every(function (v) { return v === r[0]; })) {
        var rsteps = [];
        for (var q = 0; q + 1 < n; q++) rsteps.push(r[q + 1] - r[q]);
        var rpos = rsteps.filter(function (d) { return d > 0; });
        var rmed = rpos.length ? median(rpos) : 1;
        var rthreshold = Math.max(1000, 100 * rmed);
        rsteps.forEach(function (d, k) {
          var a = r[k], b = r[k + 1];
          if (!((d < 0 && b > 1) || d > rthreshold)) return;
          var text = b < a ? 'rotator_index falls from ' + a + ' to ' + b + ' (a scan point index goes ' +
            'back without restarting at 0 or 1)' : 'rotator_index leaps from ' + a + ' to ' + b + ' (' +
            (b - a - 1) + ' scan points skipped; elsewhere it steps by ' + fmtG(rmed) + ')';
          self.problems.push(self.locatedProblem('rotator', k + 1, 'rotator_index', text));
        });
      }
    }
  };

  // ------------------------------------------------------------------ info (tvips-ks info)

  Series.prototype.summarizeTime = function () {
    var t = this.timesMs(), n = t.length, out = { first_ms: t[0], last_ms: t[n - 1] };
    if (n > 1 && t[n - 1] !== t[0]) {
      var span = (t[n - 1] - t[0]) / 1000, a = fmtTime(t[0]), b = fmtTime(t[n - 1]);
      if (a.slice(0, 10) === b.slice(0, 10)) b = b.slice(11);
      out.span_s = span;
      out.spanText = a + ' → ' + b + ' UTC (' + span.toFixed(3) + ' s)';
      // the interval over the whole series, as tvips_ks.timing: (last - first) / (n - 1)
      if (t[n - 1] > t[0]) {
        var interval = span / (n - 1);
        out.interval_s = interval;
        out.rateText = fmtThousands1(1 / interval) + ' frames/s (one frame every ' +
          (interval * 1000).toFixed(3) + ' ms, over the whole series)';
      } else {
        out.rateText = 'unknown (the last frame is time-stamped before the first)';
      }
    } else {
      out.span_s = 0;
      out.spanText = 'every frame at ' + fmtTime(t[0]) + ' UTC (timestamps do not advance)';
      out.rateText = 'unknown';
    }
    this.time = out;
  };

  /** Frame-header fields that vary, are constant (with the value) or are zero, as `info`. */
  Series.prototype.summarizeFields = function () {
    var varying = [], constant = [], zero = [], lfh = this.layout.len_frame_header, self = this;
    var raw = this.headersRaw, n = this.numFrames;
    this.fields.forEach(function (f) {
      var same = true;
      for (var i = 1; i < n && same; i++) {
        for (var b = 0; b < f.size; b++) {
          if (raw[i * lfh + f.offset + b] !== raw[f.offset + b]) { same = false; break; }
        }
      }
      if (!same) { varying.push(f.id); return; }
      var allZero = true;
      for (var k = 0; k < f.size; k++) if (raw[f.offset + k]) allZero = false;
      if (allZero) { zero.push(f.id); return; }
      var v = self.column(f.id)[0];
      var text = f.dtype[1] === 'f' ? fmtFloat32(v) : String(v);
      var e = enumId(f, v);
      constant.push(f.id + ' ' + text + (e ? ' (' + e + ')' : ''));
    });
    var end = this.fields.reduce(function (m, f) { return Math.max(m, f.offset + f.size); }, 0);
    this.fieldSummary = { varying: varying, constant: constant, zero: zero, known_end: end,
      padding: lfh - end };
  };

  // ------------------------------------------------------------------ scan (tvips_ks/detect.py)

  function scanIndexMap(n, shape, start) {
    var total = shape[0] * shape[1], out = new Array(total);
    for (var k = 0; k < total; k++) {
      var f = start + k;
      out[k] = f < 0 || f >= n ? -1 : f;
    }
    return out;
  }

  /** Reverse (and roll by h) the rows of `parity` (0 even, 1 odd) of a flat (rows, width) map. */
  function windRows(index, shape, parity, h) {
    var rows = shape[0], width = shape[1], out = index.slice();
    for (var y = parity; y < rows; y += 2) {
      var reversed = [];
      for (var x = 0; x < width; x++) reversed.push(index[y * width + width - 1 - x]);
      for (var j = 0; j < width; j++) {
        out[y * width + ((j + h) % width + width) % width] = reversed[j];
      }
    }
    return out;
  }

  function flatnonzero(arr, pred) {
    var out = [];
    for (var i = 0; i < arr.length; i++) if (pred(arr[i], i)) out.push(i);
    return out;
  }

  function rounded(col) {
    var out = new Array(col.length);
    for (var i = 0; i < col.length; i++) {
      var v = col[i];
      out[i] = Number.isFinite(v) && Math.abs(v) < 2147483648 ? rint(v) : -1;
    }
    return out;
  }

  function fromPositions(s) {
    var notes = s.scanNotes, n = s.numFrames;
    if (!s.hasField('scan_x') || !s.hasField('scan_y')) {
      notes.push('scan positions: no scan_x/scan_y fields');
      return null;
    }
    var x = rounded(s.column('scan_x')), y = rounded(s.column('scan_y'));
    if (n < 2 || !x.some(function (v, i) { return v !== 0 || y[i] !== 0; })) {
      notes.push('scan positions: all zero');
      return null;
    }
    var start, end, width, firstReal, i;
    var runStart = [0];
    for (i = 1; i < n; i++) if (y[i] !== y[i - 1]) runStart.push(i);
    var runs = runStart.map(function (st, k) {
      var stop = k + 1 < runStart.length ? runStart[k + 1] : n, xmax = -Infinity;
      for (var j = st; j < stop; j++) xmax = Math.max(xmax, x[j]);
      return { start: st, len: stop - st, y: y[st], xmax: xmax };
    });
    var row1 = runs.map(function (r, k) {
      var prev = k ? runs[k - 1].y : -1;
      return r.y === 1 && prev === 0 && r.len >= 2;
    });
    var clean = runs.map(function (r, k) {
      var next = k + 1 < runs.length ? runs[k + 1].y : -1;
      return row1[k] && r.xmax + 1 === r.len && (next === 2 || next < 1);
    });
    var pick = clean.some(Boolean) ? clean.indexOf(true) : row1.indexOf(true);
    if (pick >= 0) {
      var r1 = runs[pick].start;
      width = runs[pick].xmax + 1;
      if (width < 2) {
        notes.push('scan positions: row 1 at frame ' + r1 + ' has width ' + width);
        return null;
      }
      var lo = Math.max(r1 - width, 0), lastIdx = new Map();
      for (i = lo; i < r1; i++) lastIdx.set(x[i], i);
      var bad = -1;
      for (i = lo; i < r1; i++) if (y[i] !== 0 || lastIdx.get(x[i]) !== i) bad = i - lo;
      firstReal = lo + (bad >= 0 ? bad + 1 : 0);
      start = r1 - width;
      end = n;
      for (i = r1 + 1; i < n; i++) {
        if (y[i] < y[i - 1] || y[i] < 0) { end = i; break; }
      }
    } else {
      var st = -1;
      for (i = 0; i + 1 < n; i++) {
        if (x[i] === 0 && y[i] === 0 && x[i + 1] === 1 && y[i + 1] === 0) { st = i; break; }
      }
      if (st < 0) {
        notes.push('scan positions: present, but no frame at (0, 0) followed by (0, 1) and no step ' +
          'from row 0 to row 1');
        return null;
      }
      start = st;
      end = n;
      for (i = start + 1; i < n; i++) {
        if (y[i] !== 0 || x[i] !== x[i - 1] + 1) { end = i; break; }
      }
      width = end - start;
      firstReal = start;
    }

    var m = end - start, xs = new Array(m).fill(-1), ys = new Array(m).fill(-1);
    for (i = firstReal; i < end; i++) { xs[i - start] = x[i]; ys[i - start] = y[i]; }
    var ok = xs.map(function (v, k) { return v >= 0 && v < width && ys[k] >= 0; });
    var heightMax = 0;
    ok.forEach(function (v, k) { if (v) heightMax = Math.max(heightMax, ys[k] + 1); });
    var perRow = new Array(heightMax).fill(0);
    ok.forEach(function (v, k) { if (v) perRow[ys[k]] += 1; });
    perRow[0] = Math.max(perRow[0], width);
    var shortRow = perRow.findIndex(function (c) { return c * 2 < width; });
    var height = shortRow >= 0 ? shortRow : heightMax;
    if (height && perRow[height - 1] < width) height -= 1;
    if (height < 1) {
      notes.push('scan positions: start at frame ' + start + ', width ' + width + ', but no complete row');
      return null;
    }
    var shape = [height, width], used = start + height * width;

    // direction of each row from the steps between neighbouring frames
    var direction = new Array(height).fill(0);
    var cut = Math.min(height * width, m);
    for (i = 0; i + 1 < cut; i++) {
      if (ok[i] && ok[i + 1] && ys[i] === ys[i + 1] && ys[i] < height) {
        direction[ys[i]] += Math.sign(xs[i + 1] - xs[i]);
      }
    }
    var rowsFwd = direction.map(function (d) { return d > 0; });
    var rowsRev = direction.map(function (d) { return d < 0; });
    var parity = null;
    var allRows = function (pred) { return rowsFwd.every(function (_, k) { return pred(k); }); };
    if (height > 1 && allRows(function (k) { return rowsRev[k] === (k % 2 === 0) && rowsFwd[k] === (k % 2 === 1); })) {
      parity = 0;
    } else if (height > 1 && allRows(function (k) { return rowsFwd[k] === (k % 2 === 0) && rowsRev[k] === (k % 2 === 1); })) {
      parity = 1;
    } else if (height === 1 && rowsRev[0]) {
      parity = 0;
    }

    var winding = null, hysteresis = 0, pattern, frameIndex = scanIndexMap(n, shape, start);
    if (parity === null) {
      pattern = 'fly-back';
    } else {
      var firstRev = start + parity * width;
      if (firstRev < firstReal) firstRev += 2 * width;
      var hh = firstRev < used ? (((x[firstRev] - (width - 1)) % width) + width) % width : 0;
      hysteresis = hh > Math.floor(width / 2) ? hh - width : hh;
      winding = 'x';
      frameIndex = windRows(frameIndex, shape, parity, hysteresis);
      pattern = parity === 0 ? 'snake' : 'snake whose first row runs forward (odd rows reversed)';
    }
    frameIndex = frameIndex.map(function (f) { return f < firstReal ? -1 : f; });

    var agree = 0, inScan = 0;
    frameIndex.forEach(function (f, k) {
      if (f < 0) return;
      inScan += 1;
      if (y[f] === Math.floor(k / width) && x[f] === k % width) agree += 1;
    });
    var evidence = 'scan positions: ' + pattern + ' raster of ' + height + 'x' + width + ' from frame ' +
      start + '; ' + agree + ' of its ' + inScan + ' frames at their header position';
    if (agree * 2 < inScan) {
      notes.push(evidence + ', so the positions do not follow a raster');
      return null;
    }
    if (hysteresis) evidence += '; reversed rows shifted by ' + hysteresis + ' (hysteresis)';
    if (parity === 1) {
      evidence += "; open()'s winding convention reverses the even rows, so as_open_kwargs() gives " +
        'this scan mirrored along x: use frame_index';
    }
    if (firstReal > start) {
      evidence += '; row 0 starts mid-row at frame ' + firstReal + ', its first ' + (firstReal - start) +
        ' position(s) have no frame';
    }
    var kwargsMap = scanIndexMap(n, shape, start);
    if (winding) kwargsMap = windRows(kwargsMap, shape, 0, hysteresis);
    var exact = kwargsMap.every(function (f, k) { return f === frameIndex[k]; });
    return scanResult(shape, start, winding, hysteresis, frameIndex, 'scan_position', agree, firstReal,
      n - used, evidence, exact);
  }

  function rotatorExtent(r) {
    var n = r.length, inc = [], i;
    for (i = 0; i + 1 < n; i++) if (r[i + 1] - r[i] > 0) inc.push(i);
    if (!inc.length) return null;
    var i0 = inc[0], start;
    if (r[i0] < 1) {
      start = i0 + 1;
    } else {
      var lastChange = -1;
      for (i = 0; i < i0; i++) if (r[i + 1] !== r[i]) lastChange = i;
      start = lastChange >= 0 ? lastChange + 1 : i0;
    }
    var last = n - 1;
    for (i = start; i + 1 < n; i++) if (r[i + 1] < r[i]) { last = i; break; }
    var before = inc.filter(function (k) { return k < last; });
    var stop = before.length ? before[before.length - 1] + 1 : start;
    return [start, stop];
  }

  /** Position -> frame (1-D) of a rotator scan, as tvips_ks.scan.index_map_from_rotator. */
  function indexMapFromRotator(r, start, stop, numPositions) {
    var level = [], runStart = [], runValue = [], runLength = [], k;
    for (k = start; k <= stop; k++) level.push(Math.max(r[k], k > start ? level[level.length - 1] : -Infinity));
    for (k = 0; k < level.length; k++) {
      if (k === 0 || level[k] > level[k - 1]) { runStart.push(k); runValue.push(level[k]); }
    }
    for (k = 0; k < runStart.length; k++) {
      runLength.push((k + 1 < runStart.length ? runStart[k + 1] : level.length) - runStart[k]);
    }
    var out = new Array(numPositions), run = -1;
    for (var v = 1; v <= numPositions; v++) {
      while (run + 1 < runValue.length && runValue[run + 1] <= v) run += 1;
      var rr = Math.max(run, 0), step = v - runValue[rr];
      var used = Math.min(step, runLength[rr] - 1);
      if (rr === runStart.length - 1 || run < 0) used = 0;
      out[v - 1] = runStart[rr] + used + start;
    }
    return out;
  }

  function fromRotator(s) {
    var notes = s.scanNotes, n = s.numFrames;
    if (!s.hasField('rotator_index')) {
      notes.push('rotator index: no rotator_index field');
      return null;
    }
    var r = Array.from(s.column('rotator_index'));
    var extent = n >= 2 ? rotatorExtent(r) : null;
    if (!extent) {
      notes.push('rotator index: never increases');
      return null;
    }
    var start = extent[0], stop = extent[1], numPoints = r[stop];
    if (numPoints < 4 || stop - start < 3) {
      notes.push('rotator index: only ' + numPoints + ' scan point(s) from frame ' + start + ' to ' + stop);
      return null;
    }
    if (numPoints > 2 * (stop - start + 1)) {
      throw new Error('rotator index: scan from frame ' + start + ' to ' + stop + ' claims ' + numPoints +
        ' points for ' + (stop - start + 1) + ' frames: too many skipped points to trust (or a damaged ' +
        'rotator_index). Pass scan_shape=(rows, cols), scan_start_frame=' + start + ' to open().');
    }
    var linear = indexMapFromRotator(r, start, stop, numPoints);
    var agree = 0, hit = new Set();
    for (var f = start; f <= stop; f++) {
      var v = r[f];
      if (v >= 1 && v <= numPoints) {
        hit.add(v);
        if (linear[v - 1] === f) agree += 1;
      }
    }
    var found = 'rotator index: scan from frame ' + start + ' to ' + stop + ', ' + numPoints + ' points, ' +
      hit.size + ' of them with their own frame';
    if (hit.size * 2 < numPoints) {
      throw new Error(found + ': too many skipped points to trust. Pass scan_shape=(rows, cols), ' +
        'scan_start_frame=' + start + ' to open().');
    }
    var side = Math.floor(Math.sqrt(numPoints));
    while (side * side > numPoints) side -= 1;
    while ((side + 1) * (side + 1) <= numPoints) side += 1;
    if (side * side !== numPoints) {
      notes.push(found + '; ' + numPoints + ' is not a square, so the row length must come from the ' +
        'image content (tvips-ks info does that; give the scan shape here)');
      return null;
    }
    var shape = [side, side];
    var evidence = found + '; square ' + side + 'x' + side + "; fly-back or snake not checked (the rotator " +
      'index does not record the scan direction; EM-Konos scans are usually snake: pass ' +
      "winding_scan_axis='x' if rows zig-zag, or call detect_scan(..., image_content=True))";
    var kwargsMap = scanIndexMap(n, shape, start);
    var exact = kwargsMap.every(function (g, k) { return g === linear[k]; });
    if (!exact) {
      evidence += '; repeated or skipped points make frame_index differ from as_open_kwargs()';
    }
    return scanResult(shape, start, null, 0, linear, 'rotator_index', agree, start, n - stop - 1,
      evidence, exact);
  }

  function scanResult(shape, start, winding, hysteresis, frameIndex, method, agree, before, after,
    evidence, exact) {
    return { scan_shape: shape, scan_start_frame: start, winding_scan_axis: winding,
      hysteresis: hysteresis, frame_index: frameIndex, method: method, num_frames_agree: agree,
      num_frames_before: before, num_frames_after: after, evidence: evidence, kwargs_exact: exact };
  }

  /** The scan from the headers (scan positions, then rotator index), or null. */
  function detectScan(s) {
    s.scanNotes = [];
    return fromPositions(s) || fromRotator(s);
  }

  /** A scan given by hand: shape, start frame and optional snake, as open()'s arguments. */
  function manualScan(s, rows, cols, start, winding, hysteresis) {
    var shape = [rows, cols], index = scanIndexMap(s.numFrames, shape, start);
    if (winding === 'x') index = windRows(index, shape, 0, hysteresis || 0);
    return scanResult(shape, start, winding || null, winding ? hysteresis || 0 : 0, index, 'given', 0,
      Math.max(start, 0), Math.max(s.numFrames - start - rows * cols, 0), 'given by hand', true);
  }

  function describeScan(scan) {
    var text = scan.scan_shape.join(' × ') + ' from frame ' + scan.scan_start_frame;
    text += scan.winding_scan_axis ? ', snake along ' + scan.winding_scan_axis + ' (hysteresis ' +
      scan.hysteresis + ')' : ', fly-back (no winding)';
    return text;
  }

  return {
    openSeries: openSeries, arrangeParts: arrangeParts, parsePartName: parsePartName,
    frameHeaderFields: frameHeaderFields, detectScan: detectScan, manualScan: manualScan,
    describeScan: describeScan, indexMapFromRotator: indexMapFromRotator,
    fmtFloat32: fmtFloat32, fmtG: fmtG, fmtTime: fmtTime, fmtBytes: fmtBytes, hex: hex,
    KINDS: KINDS, io: io, layout: L,
  };
});
