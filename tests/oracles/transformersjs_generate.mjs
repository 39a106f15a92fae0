// Independent consumer of an exported folder: @huggingface/transformers (transformers.js, with the onnxruntime-node it
// brings) loads our model.onnx and generates greedily, so a test can compare its tokens with our engine's.
//
// usage: node transformersjs_generate.mjs ONNX_FOLDER CHECKPOINT_FOLDER IDS_JSON MAX_NEW_TOKENS
//   ONNX_FOLDER: written by `toolkit export` (model.onnx [+ model.onnx.data], tokenizer files)
//   CHECKPOINT_FOLDER: the HF folder it came from (transformers.js reads config.json and generation_config.json)
//   IDS_JSON: [[id, ...], ...] prompts (no padding); prints one JSON line: [[new ids], ...]
// transformers.js wants <root>/<name>/config.json and <root>/<name>/onnx/model.onnx: a temporary folder of links.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const [onnxFolder, checkpoint, idsFile, maxNew] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const modules = path.resolve(here, "../../build/oracles/node_modules");
const { AutoModelForCausalLM, Tensor, env } = await import(path.join(modules, "@huggingface/transformers/dist/transformers.node.mjs"));

const root = fs.mkdtempSync(path.join(os.tmpdir(), "tk-tjs-"));
const dir = path.join(root, "model");
fs.mkdirSync(path.join(dir, "onnx"), { recursive: true });
for (const f of ["config.json", "generation_config.json"])
  if (fs.existsSync(path.join(checkpoint, f))) fs.copyFileSync(path.join(checkpoint, f), path.join(dir, f));
for (const f of fs.readdirSync(onnxFolder)) {
  const src = path.resolve(onnxFolder, f);
  if (f.startsWith("model.onnx")) fs.symlinkSync(src, path.join(dir, "onnx", f));
  else if (f.startsWith("tokenizer")) fs.symlinkSync(src, path.join(dir, f));
}

env.allowRemoteModels = false;
env.localModelPath = root;
try {
  const model = await AutoModelForCausalLM.from_pretrained("model", { dtype: "fp32", device: "cpu", local_files_only: true });
  const out = [];
  for (const ids of JSON.parse(fs.readFileSync(idsFile, "utf8"))) {
    const n = ids.length;
    const input_ids = new Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, n]);
    const attention_mask = new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]);
    const seq = await model.generate({ input_ids, attention_mask, max_new_tokens: Number(maxNew), min_new_tokens: Number(maxNew), do_sample: false });
    out.push(Array.from(seq.data).slice(n).map(Number));
  }
  console.log(JSON.stringify(out));
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
