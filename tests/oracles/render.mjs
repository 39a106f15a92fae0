// Renders chat templates with @huggingface/jinja (the independent implementation our C# interpreter is checked against).
// usage: node render.mjs <node_modules dir> <template file> <cases.json>
// cases.json: [{ "name", "messages", "add_generation_prompt", "bos_token"?, "eos_token"?, "now"?: "YYYY-MM-DDTHH:MM", "extra"?: {...} }]
// prints: [{ "name", "text" } | { "name", "error" }] as JSON on stdout.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, templateFile, casesFile] = process.argv.slice(2);
if (!casesFile) {
  console.error("usage: node render.mjs <node_modules dir> <template file> <cases.json>");
  process.exit(2);
}
const { Environment, Interpreter, tokenize, parse } = await import(
  pathToFileURL(join(nodeModules, "@huggingface/jinja/dist/index.js")).href
);

const source = readFileSync(templateFile, "utf8");
const cases = JSON.parse(readFileSync(casesFile, "utf8"));
// the same preprocessing Template's constructor applies (transformers' trim_blocks / lstrip_blocks)
const program = parse(tokenize(source, { lstrip_blocks: true, trim_blocks: true }));

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

// strftime_now on a pinned clock: the directives @huggingface/jinja's own strftime knows, with C-locale month names
function strftimeAt(now, format) {
  const [date, time = "00:00"] = now.split("T");
  const [Y, m, d] = date.split("-").map(Number);
  const [H, M] = time.split(":").map(Number);
  const pad = (n) => String(n).padStart(2, "0");
  return format.replace(/%[YmdbBHM%]/g, (t) => ({
    "%Y": String(Y), "%m": pad(m), "%d": pad(d), "%b": MONTHS[m - 1].slice(0, 3), "%B": MONTHS[m - 1],
    "%H": pad(H), "%M": pad(M), "%%": "%",
  })[t]);
}

const results = [];
for (const c of cases) {
  try {
    // the globals setupGlobals() declares, with strftime_now on the case's clock
    const env = new Environment();
    env.set("false", false);
    env.set("true", true);
    env.set("none", null);
    env.set("True", true);
    env.set("False", false);
    env.set("None", null);
    env.set("raise_exception", (msg) => { throw new Error(msg); });
    env.set("range", (start, stop, step = 1) => {
      if (stop === undefined) { stop = start; start = 0; }
      const r = [];
      for (let i = start; step > 0 ? i < stop : i > stop; i += step) r.push(i);
      return r;
    });
    env.set("strftime_now", (fmt) => strftimeAt(c.now ?? "2024-07-26T09:30", fmt));
    const vars = { messages: c.messages, add_generation_prompt: !!c.add_generation_prompt, ...(c.extra ?? {}) };
    if (c.bos_token != null) vars.bos_token = c.bos_token;
    if (c.eos_token != null) vars.eos_token = c.eos_token;
    for (const [k, v] of Object.entries(vars)) env.set(k, v);
    results.push({ name: c.name, text: new Interpreter(env).run(program).value });
  } catch (e) {
    results.push({ name: c.name, error: String(e?.message ?? e) });
  }
}
process.stdout.write(JSON.stringify(results));
