// Lazy byte access for the TVIPS inspector, and the virtual bright field.
//
// `tvipsIoFactory` is self-contained (it uses nothing outside its own body), so
// the page can run it on the main thread and also build a Web Worker from its
// source text (a Blob URL works where a worker script URL does not, e.g. from
// file://). Nothing here knows the byte layout of the format: callers pass
// offsets and sizes that come from the generated parser and field tables.
//
// A source is a plain, structured-cloneable description of one file:
//   {kind: 'file', file: File, size}                   a File or Blob: File.slice
//   {kind: 'http', url, stridedUrl, size}              a file served by `tvips-ks inspect`:
//                                                      Range requests, and one request for
//                                                      a strided run of small slices
'use strict';

// eslint-disable-next-line no-unused-vars
function tvipsIoFactory() {
  'use strict';

  /** Bytes read per step: windows of the file, chunks of frames. */
  var WINDOW_BYTES = 8 * 1024 * 1024;
  /** A strided read reads whole windows when the gaps between slices are at most this. */
  var MAX_GAP_BYTES = 64 * 1024;
  /** Slices read concurrently when they are read one by one. */
  var CONCURRENT_SLICES = 64;

  function fail(message) {
    var err = new Error(message);
    err.name = 'TvipsReadError';
    return err;
  }

  /** Bytes [start, end) of a source, as a Uint8Array. */
  async function readRange(src, start, end) {
    if (end <= start) return new Uint8Array(0);
    if (end > src.size) {
      throw fail('read past the end of ' + (src.name || 'a file') + ': bytes ' + start + '-' + end +
        ' of ' + src.size);
    }
    if (src.kind === 'file') {
      return new Uint8Array(await src.file.slice(start, end).arrayBuffer());
    }
    var response = await fetch(src.url, { headers: { Range: 'bytes=' + start + '-' + (end - 1) },
      cache: 'no-store' });
    if (response.status !== 206) {
      throw fail(src.url + ': HTTP ' + response.status + ' for a range request');
    }
    var bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== end - start) {
      throw fail(src.url + ': got ' + bytes.length + ' bytes for a range of ' + (end - start));
    }
    return bytes;
  }

  /**
   * `count` slices of `size` bytes, the k-th at `start + k * stride`, concatenated.
   * Reads whole windows when the slices are close together, else slice by slice;
   * over HTTP one request per window.
   */
  async function readStrided(src, start, stride, size, count) {
    var out = new Uint8Array(count * size);
    if (count === 0 || size === 0) return out;
    var perWindow = Math.max(1, Math.floor(WINDOW_BYTES / Math.max(size, 1)));
    var k, i;
    if (src.kind === 'http') {
      for (k = 0; k < count; k += perWindow) {
        var n = Math.min(perWindow, count - k);
        var url = src.stridedUrl + '?start=' + (start + k * stride) + '&stride=' + stride +
          '&size=' + size + '&count=' + n;
        var response = await fetch(url, { cache: 'no-store' });
        if (response.status !== 200) throw fail(url + ': HTTP ' + response.status);
        var got = new Uint8Array(await response.arrayBuffer());
        if (got.length !== n * size) throw fail(url + ': got ' + got.length + ' bytes');
        out.set(got, k * size);
      }
      return out;
    }
    if (stride - size <= MAX_GAP_BYTES) {
      // whole windows of the file, the slices copied out of each
      var recordsPerWindow = Math.max(1, Math.floor(WINDOW_BYTES / stride));
      for (k = 0; k < count; k += recordsPerWindow) {
        var m = Math.min(recordsPerWindow, count - k);
        var first = start + k * stride;
        var window = await readRange(src, first, first + (m - 1) * stride + size);
        for (i = 0; i < m; i++) out.set(window.subarray(i * stride, i * stride + size), (k + i) * size);
      }
      return out;
    }
    // far apart: one slice each, a few at a time
    for (k = 0; k < count; k += CONCURRENT_SLICES) {
      var batch = [];
      for (i = k; i < Math.min(k + CONCURRENT_SLICES, count); i++) {
        batch.push(readRange(src, start + i * stride, start + i * stride + size));
      }
      var slices = await Promise.all(batch);
      for (i = 0; i < slices.length; i++) out.set(slices[i], (k + i) * size);
    }
    return out;
  }

  /**
   * The disk of a virtual bright field: pixels whose centre is within `radius`
   * of `center` (y, x); defaults as tvips_ks.vbf.disk_mask: radius
   * max(min(h, w) // 8, 1), centre ((h - 1) / 2, (w - 1) / 2).
   * Returns the disk's bounding rows and columns and its pixels (row-major
   * offsets inside the box).
   */
  function diskMask(height, width, radius, center) {
    if (radius === undefined || radius === null) radius = Math.max(Math.floor(Math.min(height, width) / 8), 1);
    var cy = center ? center[0] : (height - 1) / 2;
    var cx = center ? center[1] : (width - 1) / 2;
    var y0 = Infinity, y1 = -1, x0 = Infinity, x1 = -1, pixels = [];
    for (var y = 0; y < height; y++) {
      for (var x = 0; x < width; x++) {
        var dy = y - cy, dx = x - cx;
        if (dy * dy + dx * dx <= radius * radius) {
          pixels.push([y, x]);
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
        }
      }
    }
    if (!pixels.length) {
      throw fail('the disk of radius ' + radius + ' at (y, x) = (' + cy + ', ' + cx + ') holds no ' +
        'pixel of a ' + height + 'x' + width + ' frame');
    }
    return { radius: radius, center: [cy, cx], y0: y0, y1: y1 + 1, x0: x0, x1: x1 + 1,
      count: pixels.length, pixels: pixels };
  }

  /**
   * Mean of the disk's pixels in every frame, chunk by chunk.
   *
   * job: {parts: [{source, offset, numFrames, firstFrame}], numFrames, lenRecord,
   *       lenFrameHeader, width, height, bytesPerPixel, radius, center, chunkBytes}
   * Only the rows of the disk's bounding box are read from each record (one
   * strided read per chunk of frames). `onProgress(framesDone, numFrames)` is
   * called after every chunk; `isCancelled()` stops early.
   */
  async function computeVbf(job, onProgress, isCancelled) {
    var mask = diskMask(job.height, job.width, job.radius, job.center);
    var bpp = job.bytesPerPixel;
    var rowBytes = job.width * bpp;
    var bandStart = job.lenFrameHeader + mask.y0 * rowBytes;
    var bandSize = (mask.y1 - mask.y0) * rowBytes;
    var offsets = new Int32Array(mask.count);
    for (var p = 0; p < mask.count; p++) {
      offsets[p] = ((mask.pixels[p][0] - mask.y0) * job.width + mask.pixels[p][1]) * bpp;
    }
    var get = bpp === 1 ? function (v, o) { return v.getUint8(o); }
      : bpp === 2 ? function (v, o) { return v.getUint16(o, true); }
        : function (v, o) { return v.getUint32(o, true); };
    var values = new Float64Array(job.numFrames);
    var chunk = Math.max(1, Math.floor((job.chunkBytes || WINDOW_BYTES) / Math.max(bandSize, 1)));
    var done = 0;
    for (var part of job.parts) {
      for (var k = 0; k < part.numFrames; k += chunk) {
        if (isCancelled && isCancelled()) return null;
        var n = Math.min(chunk, part.numFrames - k);
        var band = await readStrided(part.source, part.offset + k * job.lenRecord + bandStart,
          job.lenRecord, bandSize, n);
        var view = new DataView(band.buffer, band.byteOffset, band.byteLength);
        for (var i = 0; i < n; i++) {
          var base = i * bandSize, sum = 0;
          for (var q = 0; q < offsets.length; q++) sum += get(view, base + offsets[q]);
          values[part.firstFrame + k + i] = sum / mask.count;
        }
        done += n;
        if (onProgress) onProgress(done, job.numFrames);
      }
    }
    return { values: values, radius: mask.radius, center: mask.center, pixels: mask.count };
  }

  /** The body of the VBF worker (runs in the worker's global scope). */
  function workerMain(scope) {
    var cancelled = false;
    scope.onmessage = function (event) {
      var msg = event.data;
      if (msg.type === 'cancel') { cancelled = true; return; }
      if (msg.type !== 'vbf') return;
      cancelled = false;
      computeVbf(msg.job, function (done, total) {
        scope.postMessage({ type: 'progress', done: done, total: total });
      }, function () { return cancelled; }).then(function (result) {
        if (result === null) { scope.postMessage({ type: 'cancelled' }); return; }
        scope.postMessage({ type: 'done', result: result }, [result.values.buffer]);
      }, function (err) {
        scope.postMessage({ type: 'error', message: String(err && err.message || err) });
      });
    };
    scope.postMessage({ type: 'ready' });
  }

  return { readRange: readRange, readStrided: readStrided, diskMask: diskMask,
    computeVbf: computeVbf, workerMain: workerMain,
    WINDOW_BYTES: WINDOW_BYTES, MAX_GAP_BYTES: MAX_GAP_BYTES };
}

(function (root) {
  if (typeof module === 'object' && module.exports) module.exports = tvipsIoFactory;
  else root.tvipsIoFactory = tvipsIoFactory;
})(typeof self !== 'undefined' ? self : this);
