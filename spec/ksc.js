#!/usr/bin/env node
// A small command line over the npm build of the Kaitai Struct compiler.
//
// The npm package (the Scala.js build of the reference compiler) has no CLI,
// only compile(lang, ksyObject, importer, debug), and it hard-codes its
// runtime settings: `debug` switches on position recording and switches off
// auto-read together. tvips-ks wants position recording with auto-read (the
// JVM compiler's --read-pos), so this wrapper patches the one line of the
// bundle that builds the settings, and refuses to run on any other bundle.
//
//   node spec/ksc.js --version
//   node spec/ksc.js -t python|javascript|... [--read-pos] [--warnings] -d OUTDIR FILE.ksy
//   node spec/ksc.js --dump-json FILE.ksy      (the ksy as the compiler sees it)
//
// spec/generate.py is the only intended caller.
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');
const yaml = require('js-yaml');

const BUNDLE = require.resolve('kaitai-struct-compiler/kaitai-struct-compiler.js');
const SETTINGS_LINE = 'var config = new $c_Lio_kaitai_struct_RuntimeConfig((!debug), debug,';
const PATCHED_LINE = 'var config = new $c_Lio_kaitai_struct_RuntimeConfig(' +
  'globalThis.__kscOptions.autoRead, globalThis.__kscOptions.readPos,';
// The compiler computes style-guide warnings (len_/num_/ofs_ naming) and then
// drops them; keep them for --warnings.
const WARNINGS_LINE = '  var styleWarnings = new $c_Lio_kaitai_struct_precompile_StyleCheckIds(specs)' +
  '.run__sc_Iterable();';

function loadCompiler() {
  const source = fs.readFileSync(BUNDLE, 'utf8');
  const hits = source.split(SETTINGS_LINE).length - 1;
  if (hits !== 1) {
    throw new Error(`${BUNDLE}: expected the settings line of kaitai-struct-compiler 0.11.0 ` +
      `exactly once, found it ${hits} times; this wrapper only supports the pinned version`);
  }
  if (source.split(WARNINGS_LINE).length !== 2) {
    throw new Error(`${BUNDLE}: the style-warning line of kaitai-struct-compiler 0.11.0 was not ` +
      'found; this wrapper only supports the pinned version');
  }
  const patched = source.replace(SETTINGS_LINE, PATCHED_LINE)
    .replace(WARNINGS_LINE, `${WARNINGS_LINE}\n  globalThis.__kscStyleWarnings = styleWarnings;`);
  const module = { exports: {} };
  vm.runInThisContext(`(function (module, exports) {\n${patched}\n})`, { filename: BUNDLE })(
    module, module.exports);
  return module.exports;
}

function loadKsy(file) {
  return yaml.load(fs.readFileSync(file, 'utf8'));
}

function usage(message) {
  if (message) process.stderr.write(`ksc.js: ${message}\n`);
  process.stderr.write('usage: node spec/ksc.js (--version | --dump-json FILE.ksy | ' +
    '-t LANG [--read-pos] [--warnings] -d OUTDIR FILE.ksy)\n');
  process.exit(2);
}

async function main(argv) {
  const opts = { target: null, outDir: null, readPos: false, files: [], dumpJson: false,
    warnings: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version') {
      const ksc = loadCompiler();
      process.stdout.write(`kaitai-struct-compiler ${ksc.version} (${ksc.buildDate})\n`);
      return;
    } else if (a === '-t') opts.target = argv[++i];
    else if (a === '-d') opts.outDir = argv[++i];
    else if (a === '--read-pos') opts.readPos = true;
    else if (a === '--dump-json') opts.dumpJson = true;
    else if (a === '--warnings') opts.warnings = true;
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (opts.files.length !== 1) usage('give exactly one .ksy file');
  const file = opts.files[0];
  if (opts.dumpJson) {
    process.stdout.write(JSON.stringify(loadKsy(file), null, 1) + '\n');
    return;
  }
  if (!opts.target || !opts.outDir) usage('-t and -d are required');

  const ksc = loadCompiler();
  globalThis.__kscOptions = { autoRead: true, readPos: opts.readPos };
  const importer = {
    importYaml: (name) => Promise.resolve(loadKsy(path.resolve(path.dirname(file), `${name}.ksy`))),
  };
  let files;
  try {
    files = await ksc.compile(opts.target, loadKsy(file), importer, false);
  } catch (err) {
    process.stderr.write(`${file}: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  }
  if (opts.warnings && globalThis.__kscStyleWarnings) {
    // style warnings go to stderr; the exit status says whether there were any
    const it = globalThis.__kscStyleWarnings.iterator__sc_Iterator();
    let count = 0;
    while (it.hasNext__Z()) {
      process.stderr.write(`${it.next__O().message__T()}\n`);
      count += 1;
    }
    if (count) process.exitCode = 3;
  }
  for (const [name, text] of Object.entries(files)) {
    const out = path.join(opts.outDir, name);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
    process.stdout.write(`${out}\n`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`ksc.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
