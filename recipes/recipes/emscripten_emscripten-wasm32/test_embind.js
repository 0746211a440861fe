// Loads the embind module built from test_embind.cpp and calls into it from JavaScript.
const assert = require("node:assert");
const createModule = require("./embind.js");

createModule().then((Module) => {
  assert.strictEqual(Module.twice(21), 42);
  const counter = new Module.Counter(40);
  counter.add(2);
  assert.strictEqual(counter.value(), 42);
  assert.strictEqual(counter.describe(), "counter at 42");
  counter.delete();
  console.log("embind ok: twice(21) =", Module.twice(21));
});
