// Drives the echo kernel as JupyterLite's worker does: messages go in through the server's
// notify_listener and come out through self.postMessage. Exits non-zero on any mismatch.
const assert = require("assert");
const createXeusModule = require("./echo_kernel.js");

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

createXeusModule().then((Module) => {
  const kernel = new Module.xkernel();
  const server = kernel.get_server();
  kernel.start();

  server.notify_listener(request("kernel_info_request", {}));
  assert.strictEqual(take("kernel_info_reply").content.implementation, "echo");

  const execute = { silent: false, store_history: true, user_expressions: {}, allow_stdin: false };
  server.notify_listener(request("execute_request", { ...execute, code: "1 + 1" }));
  const result = take("execute_result");
  assert.strictEqual(result.channel, "iopub");
  assert.strictEqual(result.content.data["text/plain"], "echo: 1 + 1");
  assert.strictEqual(result.content.execution_count, 1);
  assert.strictEqual(take("execute_reply").content.status, "ok");

  server.notify_listener(request("execute_request", { ...execute, code: "fail" }));
  assert.strictEqual(take("error").content.ename, "EchoError");
  assert.strictEqual(take("execute_reply").content.status, "error");
  console.log("xeus-lite ok: execute_request answered through postMessage");
});
