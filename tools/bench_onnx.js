#!/usr/bin/env node
// tools/bench_onnx.js - ONNX Runtime (onnxruntime-node) on the same BERT as `make bench`,
// for a side-by-side comparison measured in the same session on the same machine. Never
// called by make / make check; see tools/bench_onnx.sh for the setup and the wrapper.
//
// usage: node tools/bench_onnx.js [--ort DIR] [-t N] [--shapes B:T:R,...] [--warmup W]
//                                 [--vocab V] MODEL.onnx
//        node tools/bench_onnx.js [--ort DIR] [-t N] --first [--batch B] [--seq T] MODEL.onnx
//        node tools/bench_onnx.js [--ort DIR] --check REF.json MODEL.onnx
//
// onnxruntime-node is found through --ort DIR (a node_modules directory holding
// onnxruntime-node) or else Node's own resolution, i.e. NODE_PATH. Session options:
// intraOpNumThreads N (-t, default 2), interOpNumThreads 1, sequential execution,
// graphOptimizationLevel 'all'; everything else at ORT's defaults (so the intra-op pool
// spins between runs, as it does for any ORT user; cpu_ms includes that spinning).
//
// Bench mode: per shape, random ids in [1, vocab) (vocab from config.json next to the
// model, else 30522), attention_mask all ones, token_type_ids zeros; W warm-up runs
// (default 1, as `bertscope bench`), then R timed runs (defaults 30, 20, 5 for
// B=1,T=16 / B=3,T=16 / B=8,T=128, as tools/bench.sh). One JSON line per shape:
//   {"engine":"onnxruntime","version","batch","seq","threads","runs","warmup",
//    "median_ms","min_ms","cpu_ms" (median process CPU time per run),"session_ms"}
// --first: one session create + one run (default B=1, T=8: "This is a positive
//   sentence." with [CLS]/[SEP], as tools/bench.sh's first-logits line), then exits:
//   {"first_ms" (process start to first output, performance.now()),"session_ms",
//    "run_ms","peak_rss_mb" (process.resourceUsage().maxRSS),"weights_mb" (file size)}
// --check: runs the batch in REF.json (written by tools/export_onnx.py with the torch
//   outputs) and prints the max |diff| per output; exit status 1 above 1e-4.
'use strict';
const fs = require('fs');
const path = require('path');

function usage(code) {
  const lines = fs.readFileSync(__filename, 'utf8').split('\n').slice(1);
  const text = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')))
    .map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
  (code ? process.stderr : process.stdout).write(text + '\n');
  process.exit(code);
}

function parseArgs(argv) {
  const o = { ort: null, threads: 2, warmup: 1, vocab: 0, first: false, check: null,
              batch: 1, seq: 8, model: null,
              shapes: [[1, 16, 30], [3, 16, 20], [8, 128, 5]] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) { console.error(`bench_onnx: ${a} needs a value`); usage(2); }
      return argv[++i];
    };
    const int = (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) { console.error(`bench_onnx: bad number '${s}'`); usage(2); }
      return n;
    };
    if (a === '--ort') o.ort = val();
    else if (a === '-t' || a === '--threads') o.threads = int(val());
    else if (a === '--warmup') o.warmup = int(val());
    else if (a === '--vocab') o.vocab = int(val());
    else if (a === '--batch') o.batch = int(val());
    else if (a === '--seq') o.seq = int(val());
    else if (a === '--first') o.first = true;
    else if (a === '--check') o.check = val();
    else if (a === '--shapes') {
      o.shapes = val().split(',').map((s) => {
        const p = s.split(':').map(int);
        if (p.length !== 3 || p.some((x) => x < 1)) { console.error(`bench_onnx: bad shape '${s}' (B:T:R)`); usage(2); }
        return p;
      });
    } else if (a === '-h' || a === '--help') usage(0);
    else if (a.startsWith('-')) { console.error(`bench_onnx: unknown option ${a}`); usage(2); }
    else if (o.model === null) o.model = a;
    else { console.error(`bench_onnx: extra argument ${a}`); usage(2); }
  }
  if (o.model === null) usage(2);
  if (o.threads < 1 || o.batch < 1 || o.seq < 1) { console.error('bench_onnx: -t, --batch and --seq must be >= 1'); usage(2); }
  return o;
}

function loadOrt(dir) {
  const where = dir ? path.join(path.resolve(dir), 'onnxruntime-node') : 'onnxruntime-node';
  try {
    return require(where);
  } catch (e) {
    console.error(`bench_onnx: cannot load ${where}: ${e.message.split('\n')[0]}\n` +
      '  install it outside the repo, e.g.\n' +
      '    mkdir -p /tmp/ortbench && cd /tmp/ortbench && npm install --ignore-scripts onnxruntime-node\n' +
      '  then pass --ort /tmp/ortbench/node_modules (or set NODE_PATH to it)');
    process.exit(1);
  }
}

function ortVersion(ort, dir) {
  if (ort.env && ort.env.versions && ort.env.versions.node) return ort.env.versions.node;
  try {
    const pj = dir ? path.join(path.resolve(dir), 'onnxruntime-node', 'package.json')
                   : require.resolve('onnxruntime-node/package.json');
    return JSON.parse(fs.readFileSync(pj, 'utf8')).version;
  } catch (e) {
    return 'unknown';
  }
}

function vocabSize(o) {
  if (o.vocab > 0) return o.vocab;
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(path.dirname(o.model), 'config.json'), 'utf8'));
    if (Number.isInteger(cfg.vocab_size) && cfg.vocab_size > 1) return cfg.vocab_size;
  } catch (e) { /* no config.json: bert-base's */ }
  return 30522;
}

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : 0.5 * (s[h - 1] + s[h]);
};

let seed = 0x2545f491;
function rand() { // xorshift32: deterministic ids, no dependency
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed;
}

function feeds(ort, B, T, vocab) {
  const n = B * T;
  const ids = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ids[i] = BigInt(1 + (rand() % (vocab - 1)));
  const mask = new BigInt64Array(n).fill(1n);
  const types = new BigInt64Array(n);
  return {
    input_ids: new ort.Tensor('int64', ids, [B, T]),
    attention_mask: new ort.Tensor('int64', mask, [B, T]),
    token_type_ids: new ort.Tensor('int64', types, [B, T]),
  };
}

function sessionOptions(o) {
  return { intraOpNumThreads: o.threads, interOpNumThreads: 1, executionMode: 'sequential',
           graphOptimizationLevel: 'all', executionProviders: ['cpu'] };
}

async function first(ort, o, version) {
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(o.model, sessionOptions(o));
  const sessionMs = msSince(t0);
  const f = feeds(ort, o.batch, o.seq, vocabSize(o));
  const t1 = process.hrtime.bigint();
  const out = await session.run(f);
  const runMs = msSince(t1);
  const firstMs = performance.now(); // Node's time origin is the process start
  const h = out.last_hidden_state;
  if (!h || h.dims[0] !== o.batch || h.dims[1] !== o.seq) throw new Error('unexpected output shape');
  console.log(JSON.stringify({
    engine: 'onnxruntime', version, mode: 'first', batch: o.batch, seq: o.seq,
    threads: o.threads, first_ms: +firstMs.toFixed(1), session_ms: +sessionMs.toFixed(1),
    run_ms: +runMs.toFixed(1),
    peak_rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    weights_mb: +(fs.statSync(o.model).size / 1048576).toFixed(1),
  }));
  await session.release();
}

async function bench(ort, o, version) {
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(o.model, sessionOptions(o));
  const sessionMs = msSince(t0);
  const vocab = vocabSize(o);
  for (const [B, T, R] of o.shapes) {
    const f = feeds(ort, B, T, vocab);
    for (let i = 0; i < o.warmup; i++) await session.run(f);
    const times = [];
    const cpu = [];
    for (let r = 0; r < R; r++) {
      const c0 = cpuMs();
      const t = process.hrtime.bigint();
      await session.run(f);
      times.push(msSince(t));
      cpu.push(cpuMs() - c0);
    }
    console.log(JSON.stringify({
      engine: 'onnxruntime', version, batch: B, seq: T, threads: o.threads, runs: R,
      warmup: o.warmup, median_ms: +median(times).toFixed(3),
      min_ms: +Math.min(...times).toFixed(3), cpu_ms: +median(cpu).toFixed(3),
      session_ms: +sessionMs.toFixed(1),
    }));
  }
  await session.release();
}

async function check(ort, o, version) {
  const ref = JSON.parse(fs.readFileSync(o.check, 'utf8'));
  const shape = [ref.batch, ref.seq];
  const t = (k) => new ort.Tensor('int64', BigInt64Array.from(ref[k], BigInt), shape);
  const session = await ort.InferenceSession.create(o.model, sessionOptions(o));
  const out = await session.run({ input_ids: t('input_ids'), attention_mask: t('attention_mask'),
                                  token_type_ids: t('token_type_ids') });
  const diffs = {};
  let worst = 0;
  for (const [name, want] of Object.entries(ref.outputs)) {
    const got = out[name];
    if (!got) throw new Error(`ONNX model has no output ${name}`);
    if (got.dims.join(',') !== want.shape.join(',')) {
      throw new Error(`${name}: shape ${got.dims} from ONNX Runtime, ${want.shape} from torch`);
    }
    let d = 0;
    for (let i = 0; i < want.data.length; i++) d = Math.max(d, Math.abs(got.data[i] - want.data[i]));
    diffs[name] = Number(d.toPrecision(3));
    worst = Math.max(worst, d);
  }
  console.log(JSON.stringify({ engine: 'onnxruntime', version, mode: 'check', batch: ref.batch,
                               seq: ref.seq, threads: o.threads, max_abs_diff: diffs }));
  await session.release();
  return worst <= 1e-4 ? 0 : 1;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(o.model)) { console.error(`bench_onnx: no model at ${o.model}`); process.exit(1); }
  const ort = loadOrt(o.ort);
  const version = ortVersion(ort, o.ort);
  if (o.check) process.exitCode = await check(ort, o, version);
  else if (o.first) await first(ort, o, version);
  else await bench(ort, o, version);
}

main().catch((e) => { console.error(`bench_onnx: ${e.stack || e}`); process.exit(1); });
