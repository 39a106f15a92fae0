// Baseline for benchmarks/OrtBench.cs: the per-Run time of onnxruntime-node's own binding (N-API, same
// libonnxruntime.so.1 1.30.0) on the same model file, with the same session settings.
// usage: node ort_run.mjs NODE_MODULES_DIR MODEL.onnx ITERATIONS REPEATS THREADS
// Inputs are built once from the session's input names as float32 tensors of the declared shape, filled with 0.5;
// each run awaits session.run(feeds) and reads every output's data, as a caller would.
// Prints one JSON line: {"us_per_run": median over repeats, "repeats_us": [...], "version": "..."}.
import { createRequire } from 'node:module';
import path from 'node:path';

const [modulesDir, modelPath, itersArg, repeatsArg, threadsArg] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(modulesDir), 'noop.js'));
const ort = require('onnxruntime-node');
const iterations = Number(itersArg), repeats = Number(repeatsArg), threads = Number(threadsArg);

const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
});
const feeds = {};
for (const [i, name] of session.inputNames.entries()) {
  const dims = session.inputMetadata?.[i]?.shape?.map(d => (typeof d === 'number' ? d : 1)) ?? [1, 4];
  const n = dims.reduce((a, b) => a * b, 1);
  feeds[name] = new ort.Tensor('float32', new Float32Array(n).fill(0.5), dims);
}

let sink = 0;
async function runs(n) {
  for (let i = 0; i < n; i++) {
    const out = await session.run(feeds);
    for (const k in out) sink += out[k].data[0];
  }
}

for (const t0 = Date.now(); Date.now() - t0 < 500;) await runs(100);   // warm-up: half a second, as on the C# side
const times = [];
for (let r = 0; r < repeats; r++) {
  const t0 = process.hrtime.bigint();
  await runs(iterations);
  times.push(Number(process.hrtime.bigint() - t0) / 1e3 / iterations);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({
  us_per_run: times[Math.floor(times.length / 2)], repeats_us: times, version: ort.env.versions?.common ?? 'unknown', sink,
}));
