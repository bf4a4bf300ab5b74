// The TVIPS inspector page: open a series, audit its layout, plot its headers,
// view its frames and its virtual bright field. Classic script (works from
// file://); the model is tvips-series.js, the byte access tvips-io.js.
(function () {
  'use strict';

  var S = window.TvipsSeries, L = window.TvipsLayout, io = S.io;
  var $ = function (sel) { return document.querySelector(sel); };
  var params = new URLSearchParams(location.search);

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'className') node.className = attrs[k];
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  // ------------------------------------------------------------------ state and API

  var state = { series: null, frame: 0, plotField: null, vbfRun: 0, worker: null, served: null };

  /** What the page parsed, for tests and for the console (ids as in the spec). */
  var api = window.tvips = {
    state: 'empty',            // 'empty' | 'loading' | 'ready' | 'error'
    error: null,
    name: null,
    parts: [],
    header: {},
    layout: null,
    num_frames: 0,
    scan: null,
    scan_note: null,
    anomalies: [],
    ignored: [],
    time: null,
    vbf: { state: 'idle', mode: null, done: 0, total: 0, values: null, radius: null },
    spec: L,
    /** Frame header i, parsed by the generated parser: spec id -> value (bytes as hex). */
    frameHeader: function (i) { return state.series.frameHeader(i); },
    /** One value per frame of a frame-header field (spec id). */
    column: function (id) { return Array.from(state.series.column(id)); },
    /** The audit rows of the main header and of frame i, as the Layout view shows them. */
    audit: function (i) {
      return { main_header: state.series.mainRows, frame: i === undefined ? null : state.series.auditFrame(i) };
    },
    /** Open files (File objects, any order) or sources. */
    open: function (files) { return openFiles(files); },
    show: function (view) { showView(view); },
    showFrame: function (i) { return showFrame(i); },
    computeVbf: function (options) { return computeVbf(options || {}); },
    setScan: function (rows, cols, start, winding, hysteresis) {
      setScan(S.manualScan(state.series, rows, cols, start || 0, winding || null, hysteresis || 0));
    },
    frameStats: null,
  };

  // ------------------------------------------------------------------ status

  function setStatus(text, done, total) {
    $('#status-text').textContent = text || '';
    var bar = $('#status-progress');
    if (total) {
      bar.hidden = false;
      bar.max = total;
      bar.value = done;
    } else {
      bar.hidden = true;
    }
  }

  // ------------------------------------------------------------------ views

  var VIEWS = ['series', 'layout', 'plot', 'frames', 'vbf'];

  function showView(view) {
    VIEWS.forEach(function (v) {
      $('#view-' + v).hidden = v !== view;
      $('#tab-' + v).setAttribute('aria-selected', String(v === view));
    });
    document.body.dataset.view = view;
    if (!state.series) return;
    if (view === 'layout') renderAudit(state.frame);
    if (state.series.fatal) return;
    if (view === 'plot') drawPlot();
    if (view === 'frames') showFrame(state.frame);
    if (view === 'vbf') drawVbf();
  }

  // ------------------------------------------------------------------ opening

  function fileSource(f) {
    return { kind: 'file', name: f.name, size: f.size, file: f };
  }

  async function openFiles(files) {
    var sources = Array.from(files).map(function (f) { return f.kind ? f : fileSource(f); });
    return openSources(sources);
  }

  async function openSources(sources) {
    cancelVbf();
    api.state = 'loading';
    document.body.dataset.state = 'loading';
    setStatus('opening ' + sources.length + ' file(s)…');
    var s;
    try {
      s = await S.openSeries(sources, function (text, done, total) {
        setStatus(text + ' ' + done + ' / ' + total, done, total);
      });
    } catch (err) {
      api.state = 'error';
      api.error = String(err && err.message || err);
      document.body.dataset.state = 'error';
      setStatus('cannot read the series: ' + api.error);
      console.error(err);
      return api;
    }
    state.series = s;
    state.frame = 0;
    api.name = s.name;
    api.error = s.fatal;
    api.ignored = s.ignored;
    api.header = s.header;
    api.layout = s.layout || null;
    api.num_frames = s.numFrames;
    api.parts = s.parts.map(function (p) {
      return { name: p.name, index: p.index, size: p.size, offset: p.offset, num_frames: p.num_frames,
        first_frame: p.first_frame, trailing_bytes: p.trailing_bytes };
    });
    api.anomalies = s.problems;
    api.time = s.time || null;
    api.scan = s.scan;
    api.scan_note = s.scanNote;
    api.vbf = { state: 'idle', mode: null, done: 0, total: 0, values: null, radius: null };
    renderSeries();
    if (!s.fatal) {
      setupPlotFields();
      setupFrameControls();
      fillScanForm();
    }
    renderAudit(0);
    api.state = s.fatal ? 'error' : 'ready';
    document.body.dataset.state = api.state;
    setStatus(s.fatal ? s.fatal : s.name + ': ' + s.numFrames + ' frames in ' + s.parts.length + ' part(s)');
    document.title = (s.name || 'TVIPS') + ' – TVIPS inspector';
    $('#series-name').textContent = s.name || '';
    showView(document.body.dataset.view || 'series');
    if (!s.fatal && s.scan && params.get('vbf') !== '0') computeVbf({});
    return api;
  }

  // ------------------------------------------------------------------ series view

  function kv(dl, key, value) {
    var row = el('tr', { 'data-key': key }, [el('th', { text: key }), el('td')]);
    var td = row.lastChild;
    if (typeof value === 'string') td.textContent = value;
    else if (value) td.appendChild(value);
    dl.appendChild(row);
    return td;
  }

  function renderSeries() {
    var s = state.series, box = $('#series-info');
    box.textContent = '';
    var t = el('table', { className: 'kv', id: 'info-table' });
    box.appendChild(t);
    if (s.ignored.length) {
      kv(t, 'ignored', el('ul', {}, s.ignored.map(function (g) {
        return el('li', { text: g.name + ': ' + g.reason });
      })));
    }
    kv(t, 'series', s.name || '(none)');
    if (s.layout) {
      var total = s.parts.reduce(function (a, p) { return a + p.size; }, 0);
      var parts = el('table', { className: 'grid', id: 'parts-table' }, [el('tr', {}, [
        el('th', { text: 'part' }), el('th', { text: 'frames' }), el('th', { text: 'first–last frame' }),
        el('th', { text: 'bytes of whole records' }), el('th', { text: 'bytes over' }),
      ])]);
      s.parts.forEach(function (p) {
        parts.appendChild(el('tr', { 'data-part': String(p.index) }, [
          el('td', { text: p.name }), el('td', { className: 'num', text: String(p.num_frames) }),
          el('td', { text: p.num_frames ? p.first_frame + '–' + (p.first_frame + p.num_frames - 1) : 'no frames' }),
          el('td', { text: p.offset + '–' + (p.offset + p.num_frames * s.layout.len_record) }),
          el('td', { className: 'num', text: p.trailing_bytes ? String(p.trailing_bytes) : '' }),
        ]));
      });
      var wrap = el('div', {}, [el('div', { text: s.parts.length + ' part(s), ' + s.numFrames + ' frames, ' +
        S.fmtBytes(total) }), parts]);
      kv(t, 'parts', wrap);
      var lay = s.layout;
      kv(t, 'frames', s.numFrames + ' × ' + lay.height + ' × ' + lay.width + ' uint' + lay.bits_per_pixel +
        ' (' + lay.bits_per_pixel + ' bits per pixel, ' + lay.len_image + ' bytes per image)');
      kv(t, 'records', lay.len_record + ' bytes: ' + lay.len_frame_header + '-byte frame header (version ' +
        lay.version + ') + image');
    }
    var items = L.mainHeaderFields.filter(function (f) { return f.size !== null && f.ksyType.indexOf('bytes') < 0 &&
      f.id in s.header; }).map(function (f) { return f.id + '=' + s.header[f.id]; });
    kv(t, 'main header', items.join(', '));
    if (s.headerError) kv(t, 'header error', s.headerError).className = 'bad';
    if (s.header.filler !== undefined) {
      var text = '';
      for (var i = 0; i < 48 && i < s.header.filler.length; i += 2) {
        var b = parseInt(s.header.filler.slice(i, i + 2), 16);
        text += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
      }
      kv(t, 'filler', "'" + text + "'…");
    }
    if (s.fieldSummary) {
      var fsum = s.fieldSummary, lines = el('div');
      lines.appendChild(el('div', { text: s.layout.len_frame_header + ' bytes: ' + s.fields.length +
        ' known field(s) in bytes 0–' + fsum.known_end + (fsum.padding ? ', ' + fsum.padding +
        ' byte(s) of padding after them' : ', no padding') }));
      if (fsum.varying.length) lines.appendChild(el('div', { text: 'varying:  ' + fsum.varying.join(', ') }));
      if (fsum.constant.length) lines.appendChild(el('div', { text: 'constant: ' + fsum.constant.join(', ') }));
      if (fsum.zero.length) lines.appendChild(el('div', { text: 'zero:     ' + fsum.zero.join(', ') }));
      kv(t, 'frame header', lines);
    }
    if (s.time) {
      kv(t, 'time span', s.time.spanText);
      if (s.time.rateText) kv(t, 'frame rate', s.time.rateText);
    }
    if (s.layout && s.numFrames) kv(t, 'scan', scanBlock());
    var anomalies = el('div', { id: 'anomalies' });
    if (!s.problems.length) anomalies.textContent = 'none';
    var counts = {};
    s.problems.forEach(function (p) {
      counts[p.kind] = (counts[p.kind] || 0) + 1;
      if (counts[p.kind] > 20) return;
      anomalies.appendChild(el('div', { className: 'problem', 'data-kind': p.kind,
        text: p.path + (p.offset !== null ? ': byte ' + p.offset : '') + ': ' + p.message }));
    });
    Object.keys(counts).forEach(function (k) {
      if (counts[k] > 20) {
        anomalies.appendChild(el('div', { className: 'more', text: '… and ' + (counts[k] - 20) + ' more ' + k +
          ' problem(s)' }));
      }
    });
    kv(t, 'anomalies', anomalies).className = s.problems.length ? 'bad' : '';
    if (s.fatal) kv(t, 'error', s.fatal).className = 'bad';
  }

  function scanBlock() {
    var s = state.series, box = el('div', { id: 'scan-info' });
    if (s.scan) {
      var sc = s.scan;
      box.appendChild(el('div', { className: 'scan-line', text: S.describeScan(sc) }));
      if (sc.method !== 'given') {
        box.appendChild(el('div', { text: 'detected by ' + sc.method + ': ' + sc.num_frames_before +
          ' frame(s) before, ' + sc.num_frames_after + ' after, ' + sc.num_frames_agree + ' agree' }));
        box.appendChild(el('div', { className: 'evidence', text: sc.evidence }));
      } else {
        box.appendChild(el('div', { text: 'given by hand' }));
      }
    } else {
      box.appendChild(el('div', { text: 'not decided by the headers: ' + (s.scanNote || '') }));
      box.appendChild(el('div', { className: 'hint', text: 'Give the scan shape in the virtual bright ' +
        'field view (tvips-ks info also tries the image content).' }));
    }
    return box;
  }

  // ------------------------------------------------------------------ layout audit

  function auditTable(rows, id) {
    var table = el('table', { className: 'grid audit', id: id }, [el('tr', {}, [
      'offset', 'size', 'type', 'id', 'original name', 'value', 'doc',
    ].map(function (h) { return el('th', { text: h }); }))]);
    rows.forEach(function (r) {
      table.appendChild(el('tr', { 'data-id': r.id, 'data-value': JSON.stringify(r.value === undefined ? null : r.value),
        'data-enum': r.enum === undefined || r.enum === null ? '' : String(r.enum) }, [
        el('td', { className: 'num', text: String(r.offset) }), el('td', { className: 'num', text: String(r.size) }),
        el('td', { text: r.type }), el('td', { className: 'id', text: r.id }), el('td', { text: r.orig_id || '' }),
        el('td', { className: 'value', text: r.text }), el('td', { className: 'doc', text: r.doc }),
      ]));
    });
    return table;
  }

  function renderAudit(i) {
    var s = state.series, box = $('#audit');
    if (!s || !s.mainRows) return;
    box.textContent = '';
    var h = s.mainHeader;
    box.appendChild(el('h3', { text: 'main header: ' + s.name + ', bytes 0–' + L.lenMainHeader +
      (s.layout ? ' (version ' + h.version + ', record ' + h.lenRecord + ' bytes = ' + h.lenFrameHeaderInUse +
        '-byte frame header + ' + h.lenImage + '-byte image)' : '') }));
    box.appendChild(auditTable(s.mainRows, 'audit-main'));
    if (s.headerError) box.appendChild(el('div', { className: 'bad', text: '!! ' + s.headerError }));
    if (!s.numFrames) return;
    i = Math.max(0, Math.min(s.numFrames - 1, i | 0));
    var a = s.auditFrame(i);
    $('#audit-frame').value = String(i);
    box.appendChild(el('h3', { id: 'audit-frame-title', text: 'frame ' + i + ': ' + a.path + ', record bytes ' +
      a.record_offset + '–' + (a.record_offset + a.record_size) + ' (frame ' + a.local + ' of this part)' }));
    box.appendChild(auditTable(a.fields, 'audit-frame-table'));
  }

  // ------------------------------------------------------------------ plot

  function plotFields() {
    var s = state.series, out = s.fields.map(function (f) {
      return { id: f.id, label: f.id + (f.origId ? ' (' + f.origId + ')' : '') };
    });
    out.splice(3, 0, { id: '_time', label: 'time since the first frame, s' });
    if (api.vbf.values) out.push({ id: '_vbf', label: 'virtual bright field (disk mean)' });
    return out;
  }

  function setupPlotFields() {
    var sel = $('#plot-field'), s = state.series;
    var keep = state.plotField;
    sel.textContent = '';
    plotFields().forEach(function (f) { sel.appendChild(el('option', { value: f.id, text: f.label })); });
    var preferred = [keep, s.hasField('scan_x') && s.scan && s.scan.method === 'scan_position' ? 'scan_x' : null,
      s.hasField('rotator_index') ? 'rotator_index' : null, 'counter'];
    var pick = preferred.filter(function (id) {
      return id && Array.from(sel.options).some(function (o) { return o.value === id; });
    })[0];
    sel.value = pick;
    state.plotField = pick;
  }

  function plotValues(id) {
    var s = state.series;
    if (id === '_time') {
      var t = s.timesMs(), out = new Float64Array(t.length);
      for (var i = 0; i < t.length; i++) out[i] = (t[i] - t[0]) / 1000;
      return out;
    }
    if (id === '_vbf') return api.vbf.values;
    return s.column(id);
  }

  function niceTicks(lo, hi, count) {
    if (!(hi > lo)) return [lo];
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
    var err = (hi - lo) / count / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  function tickText(v) {
    var a = Math.abs(v);
    return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(2) : String(+v.toPrecision(6));
  }

  /** A line plot of `values` over frames 0..N-1 on `canvas`; returns the mapping for clicks. */
  function linePlot(canvas, values, opts) {
    var dpr = window.devicePixelRatio || 1, cssW = canvas.clientWidth || 900, cssH = canvas.clientHeight || 360;
    canvas.width = cssW * dpr;
    canvas.height = cssH * dpr;
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    var m = { l: 78, r: 16, t: 14, b: 40 }, w = cssW - m.l - m.r, h = cssH - m.t - m.b;
    var n = values.length, lo = Infinity, hi = -Infinity;
    for (var i = 0; i < n; i++) {
      var v = values[i];
      if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (hi === lo) { hi = lo + 1; lo = lo - 1; }
    var pad = (hi - lo) * 0.05;
    lo -= pad; hi += pad;
    var X = function (k) { return m.l + (n > 1 ? k / (n - 1) : 0.5) * w; };
    var Y = function (v) { return m.t + h - (v - lo) / (hi - lo) * h; };
    g.font = '12px system-ui, sans-serif';
    g.fillStyle = '#555';
    g.strokeStyle = '#ddd';
    g.lineWidth = 1;
    niceTicks(lo, hi, 6).forEach(function (v) {
      var y = Math.round(Y(v)) + 0.5;
      g.beginPath(); g.moveTo(m.l, y); g.lineTo(m.l + w, y); g.stroke();
      g.textAlign = 'right'; g.textBaseline = 'middle';
      g.fillText(tickText(v), m.l - 6, y);
    });
    niceTicks(0, Math.max(n - 1, 1), 8).forEach(function (k) {
      if (k !== Math.round(k)) return;
      var x = Math.round(X(k)) + 0.5;
      g.beginPath(); g.moveTo(x, m.t); g.lineTo(x, m.t + h); g.stroke();
      g.textAlign = 'center'; g.textBaseline = 'top';
      g.fillText(String(k), x, m.t + h + 6);
    });
    g.fillText('frame', m.l + w / 2, m.t + h + 22);
    (opts.marks || []).forEach(function (mk) {
      var x = Math.round(X(mk.frame)) + 0.5;
      g.strokeStyle = mk.color; g.setLineDash([4, 3]);
      g.beginPath(); g.moveTo(x, m.t); g.lineTo(x, m.t + h); g.stroke();
      g.setLineDash([]);
      var right = x > m.l + w - 80;
      g.fillStyle = mk.color; g.textAlign = right ? 'right' : 'left'; g.textBaseline = 'top';
      g.fillText(mk.label, right ? x - 3 : x + 3, m.t + 2);
    });
    g.strokeStyle = '#1f5fa8';
    g.fillStyle = '#1f5fa8';
    if (n > w) {
      // min-max per pixel column, joined to the previous column's last value
      var prev = NaN;
      for (var px = 0; px < w; px++) {
        var a = Math.floor(px / w * n), b = Math.max(a + 1, Math.floor((px + 1) / w * n)), mn = Infinity, mx = -Infinity;
        var lastHere = NaN;
        for (var k = a; k < b && k < n; k++) {
          var u = values[k];
          if (Number.isFinite(u)) { if (u < mn) mn = u; if (u > mx) mx = u; lastHere = u; }
        }
        if (mn === Infinity) { prev = NaN; continue; }
        if (Number.isFinite(prev)) { mn = Math.min(mn, prev); mx = Math.max(mx, prev); }
        prev = lastHere;
        g.fillRect(m.l + px, Y(mx), 1, Math.max(1, Y(mn) - Y(mx)));
      }
    } else {
      g.beginPath();
      var started = false;
      for (var j = 0; j < n; j++) {
        if (!Number.isFinite(values[j])) { started = false; continue; }
        if (!started) g.moveTo(X(j), Y(values[j])); else g.lineTo(X(j), Y(values[j]));
        started = true;
      }
      g.stroke();
      if (n <= w / 3) for (var q = 0; q < n; q++) if (Number.isFinite(values[q])) g.fillRect(X(q) - 1.5, Y(values[q]) - 1.5, 3, 3);
    }
    if (opts.current !== undefined && opts.current < n) {
      var cx = Math.round(X(opts.current)) + 0.5;
      g.strokeStyle = '#d9480f';
      g.beginPath(); g.moveTo(cx, m.t); g.lineTo(cx, m.t + h); g.stroke();
    }
    g.strokeStyle = '#888';
    g.strokeRect(m.l + 0.5, m.t + 0.5, w, h);
    return { frameAt: function (cssX) { return Math.max(0, Math.min(n - 1, Math.round((cssX - m.l) / w * (n - 1)))); },
      n: n };
  }

  function scanMarks() {
    var sc = state.series.scan;
    if (!sc) return [];
    var last = sc.scan_start_frame;
    sc.frame_index.forEach(function (f) { if (f > last) last = f; });
    return [{ frame: Math.max(sc.scan_start_frame, 0), label: 'scan start', color: '#2b8a3e' },
      { frame: last, label: 'scan end', color: '#c92a2a' }];
  }

  var plotMap = null;

  function drawPlot() {
    var s = state.series, id = $('#plot-field').value || state.plotField;
    if (!id) return;
    state.plotField = id;
    var values = plotValues(id);
    plotMap = linePlot($('#plot-canvas'), values, { marks: scanMarks(), current: state.frame });
    var f = L.frameHeaderFields.filter(function (g) { return g.id === id; })[0];
    $('#plot-doc').textContent = f ? f.docFull : id === '_time' ? 'timestamp_s + timestamp_ms / 1000, minus the first frame\'s.'
      : 'Mean of the bright-field disk of every frame.';
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    $('#plot-range').textContent = s.numFrames + ' frames; ' + (lo === Infinity ? 'no finite value'
      : 'from ' + tickText(lo) + ' to ' + tickText(hi));
  }

  // ------------------------------------------------------------------ frames

  var frameCache = { index: -1, frame: null };

  function setupFrameControls() {
    var n = state.series.numFrames;
    $('#frame-slider').max = String(Math.max(n - 1, 0));
    $('#frame-number').max = String(Math.max(n - 1, 0));
    $('#audit-frame').max = String(Math.max(n - 1, 0));
    $('#contrast-lo').value = '';
    $('#contrast-hi').value = '';
    state.contrastAuto = true;
    frameCache = { index: -1, frame: null };
  }

  function percentile(sorted, q) {
    if (!sorted.length) return 0;
    var pos = (sorted.length - 1) * q, a = Math.floor(pos), b = Math.ceil(pos);
    return sorted[a] + (sorted[b] - sorted[a]) * (pos - a);
  }

  async function showFrame(i) {
    var s = state.series;
    if (!s || !s.numFrames) return null;
    i = Math.max(0, Math.min(s.numFrames - 1, Number(i) | 0));
    state.frame = i;
    $('#frame-number').value = String(i);
    $('#frame-slider').value = String(i);
    var token = ++state.frameToken;
    var frame = frameCache.index === i ? frameCache.frame : await s.readFrame(i);
    if (token !== state.frameToken) return null;
    frameCache = { index: i, frame: frame };
    var px = frame.pixels, mean = 0, mn = Infinity, mx = -Infinity;
    for (var k = 0; k < px.length; k++) {
      var u = px[k];
      mean += u;
      if (u < mn) mn = u;
      if (u > mx) mx = u;
    }
    // percentiles for the automatic contrast from at most ~1 M pixels
    var every = Math.max(1, Math.floor(px.length / (1 << 20))), sample = new Float64Array(Math.ceil(px.length / every));
    for (var j = 0, q = 0; j < px.length; j += every) sample[q++] = px[j];
    sample.sort();
    var stats = { frame: i, min: mn, max: mx, mean: mean / px.length,
      p_lo: percentile(sample, 0.005), p_hi: percentile(sample, 0.995) };
    if (state.contrastAuto) {
      $('#contrast-lo').value = String(+stats.p_lo.toPrecision(6));
      $('#contrast-hi').value = String(+stats.p_hi.toPrecision(6));
    }
    var lo = parseFloat($('#contrast-lo').value), hi = parseFloat($('#contrast-hi').value);
    if (!(hi > lo)) hi = lo + 1;
    var log = $('#contrast-log').checked;
    stats.lo = lo;
    stats.hi = hi;
    stats.log = log;
    // linear, or logarithmic (log(1 + v - lo)) between the limits: diffraction spans decades
    var span = log ? Math.log1p(hi - lo) : hi - lo;
    api.frameStats = stats;
    var canvas = $('#frame-canvas');
    canvas.width = frame.width;
    canvas.height = frame.height;
    var g = canvas.getContext('2d'), img = g.createImageData(frame.width, frame.height);
    for (var p = 0; p < px.length; p++) {
      var d = px[p] - lo;
      var v = Math.round((log ? (d > 0 ? Math.log1p(d) : 0) : d) / span * 255);
      v = v < 0 ? 0 : v > 255 ? 255 : v;
      img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = v;
      img.data[4 * p + 3] = 255;
    }
    g.putImageData(img, 0, 0);
    var scale = Math.max(1, Math.floor(512 / Math.max(frame.width, frame.height)));
    canvas.style.width = frame.width * Math.min(scale, 16) + 'px';
    canvas.style.height = frame.height * Math.min(scale, 16) + 'px';
    var where = s.locate(i), fh = s.frameHeader(i);
    var info = 'frame ' + i + ' of ' + s.numFrames + ' (' + where.part.name + ', frame ' + where.local +
      ' of this part, record at byte ' + where.record + ')';
    $('#frame-info').textContent = info;
    var bits = ['counter ' + fh.counter, 'time ' + S.fmtTime(fh.timestamp_s * 1000 + fh.timestamp_ms) + ' UTC'];
    if ('rotator_index' in fh) bits.push('rotator_index ' + fh.rotator_index);
    if ('scan_x' in fh) bits.push('scan (x, y) (' + S.fmtFloat32(fh.scan_x) + ', ' + S.fmtFloat32(fh.scan_y) + ')');
    if (s.scan) {
      var pos = s.scan.frame_index.indexOf(i);
      bits.push(pos < 0 ? 'not in the scan' : 'scan position (row, column) (' + Math.floor(pos / s.scan.scan_shape[1]) +
        ', ' + pos % s.scan.scan_shape[1] + ')');
    }
    $('#frame-header').textContent = bits.join(' · ');
    $('#frame-stats').textContent = 'pixels: min ' + stats.min + ', max ' + stats.max + ', mean ' +
      stats.mean.toFixed(2) + '; display ' + lo + ' (black) to ' + hi + ' (white)' + (log ? ', logarithmic' : '');
    if (document.body.dataset.view === 'layout') renderAudit(i);
    return stats;
  }
  state.frameToken = 0;

  // ------------------------------------------------------------------ virtual bright field

  function cancelVbf() {
    state.vbfRun += 1;
    if (state.worker) {
      state.worker.terminate();
      state.worker = null;
    }
  }

  function workerSource() {
    return '"use strict";\n' + window.tvipsIoFactory.toString() + '\ntvipsIoFactory().workerMain(self);\n';
  }

  /** Run the computation in a Blob-URL worker; rejects if the worker cannot start. */
  function vbfInWorker(job, onProgress) {
    return new Promise(function (resolve, reject) {
      var worker, url, started = false;
      try {
        url = URL.createObjectURL(new Blob([workerSource()], { type: 'text/javascript' }));
        worker = new Worker(url);
      } catch (err) {
        reject(Object.assign(err, { workerFailed: true }));
        return;
      }
      state.worker = worker;
      var timer = setTimeout(function () {
        if (!started) { worker.terminate(); reject({ workerFailed: true, message: 'the worker did not start' }); }
      }, 5000);
      worker.onerror = function (event) {
        clearTimeout(timer);
        worker.terminate();
        reject({ workerFailed: !started, message: event.message || 'worker error' });
      };
      worker.onmessage = function (event) {
        var msg = event.data;
        if (msg.type === 'ready') {
          started = true;
          clearTimeout(timer);
          URL.revokeObjectURL(url);
          worker.postMessage({ type: 'vbf', job: job });
        } else if (msg.type === 'progress') {
          onProgress(msg.done, msg.total);
        } else if (msg.type === 'done') {
          worker.terminate();
          resolve(msg.result);
        } else if (msg.type === 'error') {
          worker.terminate();
          reject({ workerFailed: false, message: msg.message });
        }
      };
    });
  }

  async function computeVbf(options) {
    var s = state.series;
    if (!s || !s.numFrames) return null;
    cancelVbf();
    var run = state.vbfRun;
    var radius = options.radius !== undefined ? options.radius : parseFloat($('#vbf-radius').value);
    if (!(radius >= 0)) radius = undefined;
    var job = s.vbfJob(radius);
    if (options.chunkBytes) job.chunkBytes = options.chunkBytes;
    var useWorker = options.worker !== undefined ? options.worker : params.get('worker') !== '0';
    api.vbf = { state: 'running', mode: useWorker ? 'worker' : 'main-thread', done: 0, total: s.numFrames,
      values: null, radius: null, fallback: null, steps: 0 };
    var progress = function (done, total) {
      if (run !== state.vbfRun) return;
      api.vbf.done = done;
      api.vbf.steps += 1;
      $('#vbf-progress').max = total;
      $('#vbf-progress').value = done;
      $('#vbf-status').textContent = 'virtual bright field: ' + done + ' / ' + total + ' frames (' +
        api.vbf.mode + ')';
    };
    $('#vbf-progress').hidden = false;
    progress(0, s.numFrames);
    var result;
    try {
      if (useWorker) {
        try {
          result = await vbfInWorker(job, progress);
        } catch (err) {
          if (!err.workerFailed) throw err;
          // no worker here (some browsers refuse them on file:// pages): same code, this thread
          api.vbf.mode = 'main-thread';
          api.vbf.fallback = String(err.message || err);
          result = await io.computeVbf(job, progress, function () { return run !== state.vbfRun; });
        }
      } else {
        result = await io.computeVbf(job, progress, function () { return run !== state.vbfRun; });
      }
    } catch (err) {
      if (run !== state.vbfRun) return null;
      api.vbf.state = 'error';
      api.vbf.error = String(err.message || err);
      $('#vbf-status').textContent = 'virtual bright field failed: ' + api.vbf.error;
      return null;
    }
    if (run !== state.vbfRun || !result) return null;
    state.worker = null;
    api.vbf.values = result.values;
    api.vbf.radius = result.radius;
    api.vbf.center = result.center;
    api.vbf.pixels = result.pixels;
    api.vbf.state = 'done';
    $('#vbf-progress').hidden = true;
    $('#vbf-status').textContent = 'virtual bright field of ' + s.numFrames + ' frames: mean of ' + result.pixels +
      ' pixels within ' + result.radius + ' px of (y, x) = (' + result.center.join(', ') + ') (' + api.vbf.mode + ')';
    $('#vbf-radius').value = String(result.radius);
    setupPlotFields();
    drawVbf();
    return api.vbf;
  }

  function setScan(scan) {
    var s = state.series;
    s.scan = scan;
    api.scan = scan;
    renderSeries();
    fillScanForm();
    drawVbf();
  }

  function fillScanForm() {
    var sc = state.series && state.series.scan;
    $('#scan-rows').value = sc ? String(sc.scan_shape[0]) : '';
    $('#scan-cols').value = sc ? String(sc.scan_shape[1]) : '';
    $('#scan-start').value = String(sc ? sc.scan_start_frame : 0);
    $('#scan-snake').checked = !!(sc && sc.winding_scan_axis);
    $('#scan-hysteresis').value = String(sc ? sc.hysteresis : 0);
  }

  /** The scan image of the VBF: values at frame_index, NaN where there is no frame. */
  function vbfImage() {
    var sc = state.series.scan, v = api.vbf.values;
    if (!sc || !v) return null;
    var img = new Float64Array(sc.frame_index.length);
    sc.frame_index.forEach(function (f, k) { img[k] = f >= 0 ? v[f] : NaN; });
    return img;
  }
  api.vbfImage = function () { var img = vbfImage(); return img && Array.from(img); };

  function drawVbf() {
    var s = state.series;
    if (!s || s.fatal) return;
    $('#vbf-scan').textContent = s.scan ? 'scan: ' + S.describeScan(s.scan) + ' (' + s.scan.method + ')'
      : 'no scan: ' + (s.scanNote || '') + '. Give rows and columns below.';
    var img = vbfImage(), canvas = $('#vbf-canvas');
    if (img) {
      var rows = s.scan.scan_shape[0], cols = s.scan.scan_shape[1], lo = Infinity, hi = -Infinity;
      img.forEach(function (v) { if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
      if (!(hi > lo)) hi = lo + 1;
      canvas.width = cols;
      canvas.height = rows;
      var g = canvas.getContext('2d'), data = g.createImageData(cols, rows);
      for (var k = 0; k < img.length; k++) {
        var ok = Number.isFinite(img[k]), u = ok ? Math.round((img[k] - lo) / (hi - lo) * 255) : 0;
        data.data[4 * k] = ok ? u : 60;
        data.data[4 * k + 1] = ok ? u : 0;
        data.data[4 * k + 2] = ok ? u : 60;
        data.data[4 * k + 3] = 255;
      }
      g.putImageData(data, 0, 0);
      var scale = Math.max(1, Math.min(24, Math.floor(480 / Math.max(rows, cols))));
      canvas.style.width = cols * scale + 'px';
      canvas.style.height = rows * scale + 'px';
      canvas.hidden = false;
      $('#vbf-range').textContent = rows + ' × ' + cols + ' positions; disk mean from ' + tickText(lo) + ' (black) to ' +
        tickText(hi) + ' (white); positions without a frame in purple. Click a position to view its frame.';
    } else {
      canvas.hidden = true;
      $('#vbf-range').textContent = '';
    }
    if (api.vbf.values) {
      linePlot($('#vbf-plot'), api.vbf.values, { marks: scanMarks() });
    }
  }

  // ------------------------------------------------------------------ wiring

  function wire() {
    VIEWS.forEach(function (v) {
      $('#tab-' + v).addEventListener('click', function () { showView(v); });
    });
    $('#file-input').addEventListener('change', function (e) {
      if (e.target.files.length) openFiles(e.target.files);
    });
    $('#open-button').addEventListener('click', function () { $('#file-input').click(); });
    document.addEventListener('dragover', function (e) {
      e.preventDefault();
      document.body.classList.add('dragging');
    });
    document.addEventListener('dragleave', function (e) {
      if (e.target === document.documentElement || e.clientX <= 0) document.body.classList.remove('dragging');
    });
    document.addEventListener('drop', function (e) {
      e.preventDefault();
      document.body.classList.remove('dragging');
      if (e.dataTransfer.files.length) openFiles(e.dataTransfer.files);
    });
    $('#plot-field').addEventListener('change', drawPlot);
    $('#plot-canvas').addEventListener('click', function (e) {
      if (!plotMap) return;
      var frame = plotMap.frameAt(e.offsetX);
      showView('frames');
      showFrame(frame);
    });
    $('#frame-number').addEventListener('change', function (e) { showFrame(e.target.value); });
    $('#frame-slider').addEventListener('input', function (e) { showFrame(e.target.value); });
    $('#frame-prev').addEventListener('click', function () { showFrame(state.frame - 1); });
    $('#frame-next').addEventListener('click', function () { showFrame(state.frame + 1); });
    $('#contrast-lo').addEventListener('change', function () { state.contrastAuto = false; showFrame(state.frame); });
    $('#contrast-hi').addEventListener('change', function () { state.contrastAuto = false; showFrame(state.frame); });
    $('#contrast-log').addEventListener('change', function () { showFrame(state.frame); });
    $('#contrast-auto').addEventListener('click', function () { state.contrastAuto = true; showFrame(state.frame); });
    $('#contrast-full').addEventListener('click', function () {
      state.contrastAuto = false;
      if (api.frameStats) {
        $('#contrast-lo').value = String(api.frameStats.min);
        $('#contrast-hi').value = String(api.frameStats.max);
      }
      showFrame(state.frame);
    });
    $('#frame-canvas').addEventListener('mousemove', function (e) {
      var f = frameCache.frame, c = e.target;
      if (!f) return;
      var x = Math.floor(e.offsetX / c.clientWidth * f.width), y = Math.floor(e.offsetY / c.clientHeight * f.height);
      if (x >= 0 && y >= 0 && x < f.width && y < f.height) {
        $('#frame-pixel').textContent = '(y, x) = (' + y + ', ' + x + '): ' + f.pixels[y * f.width + x];
      }
    });
    document.addEventListener('keydown', function (e) {
      // inputs (the slider too) handle their own keys
      if (document.body.dataset.view !== 'frames' || /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
      if (e.key === 'ArrowLeft') showFrame(state.frame - 1);
      if (e.key === 'ArrowRight') showFrame(state.frame + 1);
    });
    $('#audit-frame').addEventListener('change', function (e) { state.frame = Number(e.target.value) | 0; renderAudit(state.frame); });
    $('#audit-prev').addEventListener('click', function () { state.frame = Math.max(0, state.frame - 1); renderAudit(state.frame); });
    $('#audit-next').addEventListener('click', function () {
      state.frame = Math.min(state.series.numFrames - 1, state.frame + 1);
      renderAudit(state.frame);
    });
    $('#vbf-compute').addEventListener('click', function () { computeVbf({}); });
    $('#vbf-cancel').addEventListener('click', function () {
      cancelVbf();
      api.vbf.state = 'cancelled';
      $('#vbf-status').textContent = 'cancelled';
      $('#vbf-progress').hidden = true;
    });
    $('#scan-apply').addEventListener('click', function () {
      var rows = parseInt($('#scan-rows').value, 10), cols = parseInt($('#scan-cols').value, 10);
      var start = parseInt($('#scan-start').value, 10) || 0;
      if (!(rows > 0 && cols > 0)) return;
      setScan(S.manualScan(state.series, rows, cols, start, $('#scan-snake').checked ? 'x' : null,
        parseInt($('#scan-hysteresis').value, 10) || 0));
      if (!api.vbf.values) computeVbf({});
    });
    $('#vbf-canvas').addEventListener('click', function (e) {
      var sc = state.series && state.series.scan, c = e.target;
      if (!sc) return;
      var col = Math.floor(e.offsetX / c.clientWidth * sc.scan_shape[1]);
      var row = Math.floor(e.offsetY / c.clientHeight * sc.scan_shape[0]);
      var f = sc.frame_index[row * sc.scan_shape[1] + col];
      if (f >= 0) { showView('frames'); showFrame(f); }
    });
    window.addEventListener('resize', function () {
      if (document.body.dataset.view === 'plot') drawPlot();
      if (document.body.dataset.view === 'vbf') drawVbf();
    });
  }

  /** Served by `tvips-ks inspect`: the named series, read through HTTP ranges. */
  async function loadServed() {
    if (!/^https?:$/.test(location.protocol)) return false;
    var response;
    try {
      response = await fetch(new URL('../api/series', location.href), { cache: 'no-store' });
    } catch (err) {
      return false;
    }
    if (!response.ok) return false;
    var listing = await response.json();
    state.served = listing;
    var sel = $('#served-series');
    sel.textContent = '';
    listing.series.forEach(function (s, k) { sel.appendChild(el('option', { value: String(k), text: s.name })); });
    $('#served').hidden = listing.series.length < 2;
    sel.onchange = function () { openServed(Number(sel.value)); };
    if (!listing.series.length) return false;
    await openServed(0);
    return true;
  }

  function openServed(k) {
    var entry = state.served.series[k];
    return openSources(entry.parts.map(function (p) {
      return { kind: 'http', name: p.name, size: p.size, url: new URL(p.url, location.href).href,
        stridedUrl: new URL(p.strided_url, location.href).href };
    }));
  }

  wire();
  document.body.dataset.state = 'empty';
  document.body.dataset.view = VIEWS.indexOf(params.get('view')) >= 0 ? params.get('view') : 'series';
  showView(document.body.dataset.view);
  loadServed().then(function (served) {
    if (!served) setStatus('Drop the parts of a series (name_000.tvips, name_001.tvips, …) anywhere on the page, ' +
      'or open them.');
  });
})();
