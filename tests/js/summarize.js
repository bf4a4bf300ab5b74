#!/usr/bin/env node
// Read a TVIPS series with the JavaScript parser generated from spec/tvips.ksy and
// print a JSON summary: the main header, every frame header field, and the
// SHA-256 of each image. tests/test_conformance.py compares it with Python.
//
//   node tests/js/summarize.js name_000.tvips [name_001.tvips ...]
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const KaitaiStream = require('kaitai-struct/KaitaiStream');
const { Tvips } = require(path.join(__dirname, '..', '..', 'generated', 'javascript', 'Tvips.js'));

const MAIN_FIELDS = ['lenHeader', 'version', 'width', 'height', 'bitsPerPixel', 'offsetX',
  'offsetY', 'binX', 'binY', 'pixelSizeNm', 'highTensionKv', 'magTotal', 'lenFrameHeader'];
const FRAME_FIELDS = ['counter', 'timestampS', 'timestampMs', 'lutIndex', 'faraday',
  'temMagnification', 'temMode', 'stageX', 'stageY', 'stageZ', 'stageAlpha', 'stageBeta',
  'rotatorIndex', 'densTemperature', 'densTemperatureSetpoint', 'densPower',
  'objectiveCurrent', 'scanX', 'scanY', 'densBiasUSetpoint', 'densBiasU',
  'densBiasISetpoint', 'densBiasI', 'densBiasESetpoint', 'densBiasR', 'densBiasLimitU',
  'densBiasLimitI'];

// The 0.11 JS runtime's validation errors drop the stream and spec path that the
// generated code passes them (its constructors take the values only). Keep them,
// so a bad file reports the path of the offending field as the Python runtime does.
for (const name of Object.keys(KaitaiStream).filter((n) => /^Validation.*Error$/.test(n))) {
  const Base = KaitaiStream[name];
  KaitaiStream[name] = class extends Base {
    constructor(...args) {
      super(...args);
      this.srcPath = args[args.length - 1];
      this.pos = args[args.length - 2] && args[args.length - 2].pos;
    }
  };
}

const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const hex = (bytes) => Buffer.from(bytes).toString('hex');

function summarizeRecords(records) {
  return records.map((record) => {
    const fh = record.frameHeader;
    const fields = {};
    for (const name of FRAME_FIELDS) {
      if (fh[name] !== undefined) fields[snake(name)] = fh[name];
    }
    fields.padding = hex(fh.padding);
    return {
      frame_header: fields,
      image_sha256: crypto.createHash('sha256').update(record.image).digest('hex'),
    };
  });
}

function main(files) {
  if (files.length === 0) {
    process.stderr.write('usage: node tests/js/summarize.js name_000.tvips [name_001.tvips ...]\n');
    process.exit(2);
  }
  let first;
  try {
    first = new Tvips(new KaitaiStream(fs.readFileSync(files[0])));
  } catch (err) {
    // validation errors carry the spec path of the offending field
    process.stdout.write(JSON.stringify({ error: err.name, message: err.message,
      src_path: err.srcPath === undefined ? null : err.srcPath }) + '\n');
    process.exit(1);
  }
  const header = {};
  for (const name of MAIN_FIELDS) header[snake(name)] = first.header[name];
  header.filler = hex(first.header.filler);
  header.len_record = first.header.lenRecord;
  const parts = [summarizeRecords(first.records)];
  for (const file of files.slice(1)) {
    const part = new Tvips.ContinuationPart(new KaitaiStream(fs.readFileSync(file)), null, null,
      first.header);
    parts.push(summarizeRecords(part.records));
  }
  process.stdout.write(JSON.stringify({ header, parts }) + '\n');
}

main(process.argv.slice(2));
