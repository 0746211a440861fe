// Calls the embind module (path in argv) from JavaScript.
const assert = require("node:assert");
const createModule = require(require("node:path").resolve(process.argv[2]));

createModule().then((Module) => {
  assert.strictEqual(Module.area("square", 4), 16);
  assert.strictEqual(Module.areaOrError("hexagon", 1), "error: unknown shape: hexagon");
  console.log("embind from JavaScript: area(square, 4) =", Module.area("square", 4));
});
