// loadDynamicLibrary with a file system named by the caller (flags.fs), as JupyterLite's
// xeus kernels load the shared libraries of the packages they unpack into the module's FS:
// the library is read from there, not fetched as a URL (dylink-fs-option.patch).
// Usage: node test_dylink_fs.js (next to dylink_fs.js, a MODULARIZE main module, and libside.so)
const fs = require("fs");
const path = require("path");
const createModule = require(path.resolve("dylink_fs.js"));

(async () => {
  const Module = await createModule();
  const where = "/pkgs/side/lib/libside.so";  // only in the module's FS, not on disk
  Module.FS.mkdirTree("/pkgs/side/lib");
  Module.FS.writeFile(where, fs.readFileSync("libside.so"));
  const files = {
    findObject: (p) => Module.FS.findObject(p),
    readFile: (p) => Module.FS.readFile(p),
  };
  await Module.loadDynamicLibrary(where, { loadAsync: true, global: true, nodelete: true, fs: files });
  const answer = Module.LDSO.loadedLibsByName[where].exports.side_answer(21);
  if (answer !== 42) throw new Error(`side_answer(21) = ${answer}`);
  console.log(`dylink fs ok: side_answer(21) = ${answer}`);
})().catch((error) => { console.error(error); process.exit(1); });
