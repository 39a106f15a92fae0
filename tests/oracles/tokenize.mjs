// Oracle for the tokenizer tests: encodes every line of a corpus with @huggingface/transformers (AutoTokenizer from a
// local folder) and prints one JSON document:
//   {"lines": [{"ids", "plain", "decoded", "decoded_skip", "pieces"}...], "whole": {"ids"}}
// ids: encode(line) (special tokens added as the tokenizer does by default); plain: add_special_tokens=false;
// decoded / decoded_skip: decode(ids) with skip_special_tokens false / true (for a byte-level decoder without
// clean_up_tokenization_spaces, as current Python transformers decodes BPE: transformers.js still applies the clean-up); pieces: the pre-tokenizer's output for the
// normalized line (no added-token handling); whole: the whole corpus as one text.
// Corpus convention (shared with the C# tests): one sample per line; "⏎" stands for "\n" and "␍" for "\r".
// Usage: node tests/oracles/tokenize.mjs TOKENIZER_FOLDER CORPUS_FILE
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [folder, corpusFile] = process.argv.slice(2);
if (!folder || !corpusFile) {
  console.error("usage: node tokenize.mjs TOKENIZER_FOLDER CORPUS_FILE");
  process.exit(2);
}
const root = process.env.TOOLKIT_ROOT || path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const entry = path.join(root, "build/oracles/node_modules/@huggingface/transformers/dist/transformers.node.mjs");
if (!fs.existsSync(entry)) {
  console.error(`missing ${entry}. HINT: run \`make oracles\` at the repository root`);
  process.exit(3);
}
const { AutoTokenizer, env } = await import(pathToFileURL(entry).href);
env.allowRemoteModels = false;
env.allowLocalModels = true;
const abs = path.resolve(folder);
env.localModelPath = path.dirname(abs) + path.sep;
const tok = await AutoTokenizer.from_pretrained(path.basename(abs));

const readCorpus = (file) =>
  fs.readFileSync(file, "utf8").replace(/\n$/, "").split("\n").map((l) => l.replaceAll("⏎", "\n").replaceAll("␍", "\r"));

const inner = tok._tokenizer;
const pieces = (text) => {
  const normalized = inner.normalizer ? inner.normalizer(text) : text;
  return inner.pre_tokenizer ? inner.pre_tokenizer(normalized, { section_index: 0 }) : [normalized];
};
const hasByteLevel = (d) => !!d && (d.type === "ByteLevel" || (d.decoders || []).some(hasByteLevel));
const byteLevel = hasByteLevel(JSON.parse(fs.readFileSync(path.join(abs, "tokenizer.json"), "utf8")).decoder);
const cleanUp = byteLevel ? { clean_up_tokenization_spaces: false } : {};
const lines = readCorpus(corpusFile).map((text) => {
  const ids = tok.encode(text);
  const plain = tok.encode(text, { add_special_tokens: false });
  return {
    ids,
    plain,
    decoded: ids.length ? tok.decode(ids, { ...cleanUp }) : "",
    decoded_skip: ids.length ? tok.decode(ids, { skip_special_tokens: true, ...cleanUp }) : "",
    pieces: pieces(text),
  };
});
const whole = { ids: tok.encode(readCorpus(corpusFile).join("\n")) };
process.stdout.write(JSON.stringify({ lines, whole }));
