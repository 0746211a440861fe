// pyjs' runtime in Node: the test environment's prefix mounted at the same path (NODEFS),
// the interpreter started the way pyjs starts it in a page (init_phase_1, init_phase_2),
// then calls both ways and conversions.
// Usage: node test_pyjs.js PREFIX
const assert = require("assert");
const path = require("path");

const prefix = path.resolve(process.argv[2]);
const createModule = require(path.join(prefix, "lib_js", "pyjs", "pyjs_runtime_browser.js"));

async function main() {
  const pyjs = await createModule();
  pyjs.FS.mkdirTree(prefix);
  pyjs.FS.mount(pyjs.FS.filesystems.NODEFS, { root: prefix }, prefix);
  await pyjs.init_phase_1(prefix, [3, 11]);
  pyjs.init_phase_2(prefix, [3, 11]);

  // Python calls a JavaScript function
  globalThis.jsAdd = (a, b) => a + b;
  assert.strictEqual(pyjs.exec_eval("import pyjs\nint(pyjs.js.jsAdd(40, 2))"), 42);
  assert.strictEqual(pyjs.exec_eval("import sys\nsys.platform"), "emscripten");
  console.log("JavaScript from Python: jsAdd(40, 2) = 42");

  // JavaScript calls a Python callback
  pyjs.exec("def twice(x):\n    return 2 * x\n");
  const twice = pyjs.eval("twice");
  assert.strictEqual(twice.py_call(21), 42);
  const callbackResult = pyjs.exec_eval(
    "import pyjs\n" +
      "callback, handle = pyjs.create_callable(lambda s: s.upper())\n" +
      "result = pyjs.js.Function('f', 'return f(\"shout\")')(callback)\n" +
      "handle.delete()\n" +
      "str(result)"
  );
  assert.strictEqual(callbackResult, "SHOUT");
  console.log("Python from JavaScript: twice(21) = 42, a callback returned SHOUT");

  // Conversions, Python to JavaScript: lists, dicts, numbers, strings
  const fromPy = pyjs.to_js(pyjs.eval("{'n': 1, 'x': 2.5, 's': 'snake', 'l': [1, 'two', 3.0]}"));
  const asObject = fromPy instanceof Map ? Object.fromEntries(fromPy) : fromPy;
  assert.deepStrictEqual(asObject, { n: 1, x: 2.5, s: "snake", l: [1, "two", 3] });
  // ... and JavaScript to Python
  globalThis.jsValue = { a: [1, 2, 3], b: "camel", c: 4.5, d: { e: true } };
  const seen = pyjs.exec_eval(
    "import pyjs\n" +
      "v = pyjs.to_py(pyjs.js.jsValue)\n" +
      "assert v == {'a': [1, 2, 3], 'b': 'camel', 'c': 4.5, 'd': {'e': True}}, v\n" +
      "f'{type(v[\"a\"]).__name__} {type(v[\"b\"]).__name__} {type(v[\"c\"]).__name__}'"
  );
  assert.strictEqual(seen, "list str float");
  console.log("conversions both ways: lists, dicts, numbers, strings");
  console.log("pyjs ok");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
