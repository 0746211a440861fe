// The xeus-python kernel in Node, driven as JupyterLite's worker drives it: the test
// environment's prefix mounted at its own path (NODEFS), the interpreter started the way
// pyjs starts it (init_phase_1, init_phase_2), then Jupyter messages in through the
// server's notify_listener and out through self.postMessage.
// Usage: node test_xpython.js PREFIX
const assert = require("assert");
const fs = require("fs");
const path = require("path");

const prefix = path.resolve(process.argv[2]);
const createXeusModule = require(path.join(prefix, "bin", "xpython.js"));

const posted = [];
globalThis.self = { postMessage: (message) => posted.push(message) };

function request(type, content) {
  const header = {
    msg_id: `${type}-${posted.length}`,
    session: "session",
    username: "test",
    date: "2026-01-01T00:00:00Z",
    msg_type: type,
    version: "5.3",
  };
  return { header, parent_header: {}, metadata: {}, content, channel: "shell", buffers: [] };
}

function take(type) {
  const found = posted.filter((m) => m.header.msg_type === type);
  assert.ok(found.length > 0, `no ${type} among ${posted.map((m) => m.header.msg_type)}`);
  return found[found.length - 1];
}

// The kernel spec as JupyterLite's xeus addon reads it: argv[0] + ".js" and ".wasm" exist,
// and every file its metadata names is installed.
function checkKernelSpec() {
  const kernels = path.join(prefix, "share", "jupyter", "kernels");
  assert.deepStrictEqual(fs.readdirSync(kernels), ["xpython"]);
  const spec = JSON.parse(fs.readFileSync(path.join(kernels, "xpython", "kernel.json")));
  const binary = spec.argv[0];
  assert.ok(fs.existsSync(`${binary}.js`) && fs.existsSync(`${binary}.wasm`), binary);
  assert.strictEqual(path.dirname(binary), path.join(prefix, "bin"));
  for (const file of Object.values(spec.metadata.shared || {})) {
    assert.ok(fs.existsSync(path.join(prefix, file)), `kernel.json names a missing ${file}`);
  }
  console.log(`kernel spec: ${binary}.js and .wasm`);
}

async function main() {
  checkKernelSpec();
  const Module = await createXeusModule();
  Module.FS.mkdirTree(prefix);
  Module.FS.mount(Module.FS.filesystems.NODEFS, { root: prefix }, prefix);
  await Module.init_phase_1(prefix, [3, 11]);
  Module.init_phase_2(prefix, [3, 11]);

  const kernel = new Module.xkernel();
  const server = kernel.get_server();
  kernel.start();

  server.notify_listener(request("kernel_info_request", {}));
  const info = take("kernel_info_reply").content;
  assert.strictEqual(info.implementation, "xeus-python");
  assert.strictEqual(info.language_info.name, "python");

  const execute = { silent: false, store_history: true, user_expressions: {}, allow_stdin: false };
  server.notify_listener(request("execute_request", { ...execute, code: "1 + 1" }));
  const result = take("execute_result");
  assert.strictEqual(result.channel, "iopub");
  assert.strictEqual(result.content.data["text/plain"], "2");
  assert.strictEqual(take("execute_reply").content.status, "ok");
  console.log("execute_request 1 + 1: execute_result 2");

  server.notify_listener(request("execute_request", { ...execute, code: "import sys; print(sys.platform)" }));
  const stream = posted.filter((m) => m.header.msg_type === "stream");
  assert.ok(stream.some((m) => m.content.text.includes("emscripten")), JSON.stringify(stream));

  server.notify_listener(request("execute_request", { ...execute, code: "1 / 0" }));
  // xeus-python 0.17 names the class as str() gives it: "<class 'ZeroDivisionError'>"
  const error = take("error").content;
  assert.ok(error.ename.includes("ZeroDivisionError"), error.ename);
  assert.ok(error.traceback.join("\n").includes("division by zero"), error.traceback);
  assert.strictEqual(take("execute_reply").content.status, "error");
  console.log("xeus-python ok: the kernel answered through postMessage");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
