// Baseline for benchmarks/TokenizerBench.cs: encode throughput of @huggingface/transformers (AutoTokenizer from a local
// folder) on the tokenizer corpus repeated to TARGET_BYTES, each copy of a line prefixed with its copy number so no line
// repeats (a line-level cache hit would measure nothing), one line per encode call, single thread; three timed passes
// over different copies after a warm-up pass over the plain corpus. Prints the median pass as one JSON line:
// {"tokens", "seconds", "tokens_per_s", "bytes", "lines", "passes", "all_tokens_per_s"}.
// Usage: node benchmarks/baselines/tokenize_bench.mjs TOKENIZER_FOLDER CORPUS_FILE TARGET_BYTES
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [folder, corpusFile, targetArg] = process.argv.slice(2);
const root = process.env.TOOLKIT_ROOT || path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const entry = path.join(root, "build/oracles/node_modules/@huggingface/transformers/dist/transformers.node.mjs");
if (!fs.existsSync(entry)) {
  console.error(`missing ${entry}. HINT: run \`make oracles\``);
  process.exit(3);
}
const { AutoTokenizer, env } = await import(pathToFileURL(entry).href);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(folder)) + path.sep;
const tok = await AutoTokenizer.from_pretrained(path.basename(path.resolve(folder)));

// the same corpus convention as the tests: "⏎" is "\n", "␍" is "\r"
const base = fs.readFileSync(corpusFile, "utf8").replace(/\n$/, "").split("\n").map((l) => l.replaceAll("⏎", "\n").replaceAll("␍", "\r"));
const target = Number(targetArg || 1500000);
// pass p uses copies prefixed "p-copy", so every pass sees new lines
const linesFor = (pass) => {
  const lines = [];
  let bytes = 0;
  for (let copy = 0; bytes < target; copy++)
    for (const l of base) { const s = `${pass}-${copy} ${l}`; lines.push(s); bytes += Buffer.byteLength(s) + 1; }
  return { lines, bytes };
};

for (const l of base) tok.encode(l); // warm-up (JIT), as on our side
const runs = [];
for (let pass = 0; pass < 3; pass++) {
  const { lines, bytes } = linesFor(pass);
  let tokens = 0;
  const t0 = process.hrtime.bigint();
  for (const l of lines) tokens += tok.encode(l).length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  runs.push({ tokens, seconds, tokens_per_s: tokens / seconds, bytes, lines: lines.length });
}
runs.sort((a, b) => a.tokens_per_s - b.tokens_per_s);
console.log(JSON.stringify({ ...runs[1], passes: 3, all_tokens_per_s: runs.map((r) => r.tokens_per_s) })); // the median pass
