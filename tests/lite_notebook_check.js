// Opens a notebook of a JupyterLite site in headless Chromium (Playwright driving Debian's
// chromium), lets the xeus-python kernel start, runs every cell with Shift+Enter, asks for
// completions after the last cell's text, and prints what the page rendered as one JSON line:
//   {"cells": [{"text": ..., "html": [...]}...], "completions": [...], "pageMs": N,
//    "firstOutputMs": N, "resent": N, "signs": [...], "bytes": N, "routed": [...],
//    "problems": [...], "firstVisit": BOOL}
// (pageMs: from opening the page to the notebook's cells shown, the kernel starting; both
// times count from opening the page, the service worker's reload included when there is
// one; resent: how many times the first cell was sent again; signs: of a lost message after
// it ran)
// Usage: node lite_notebook_check.js [--first-visit] URL SCREENSHOT_DIR CELLS [COMPLETE_CODE]
// (CELLS: how many cells the notebook has; the page attaches them one by one when idle)
// The page is loaded again once JupyterLite's service worker is registered, as a person's
// next visit would be (the service worker in control from the start), unless
// --first-visit: then the notebook runs in the page as first opened
// (a cross-origin isolated page's kernels do not wait for the service worker: they reach the
// notebook's files and stdin through shared memory; it takes control of the page once active)
//
// The page asks one host this machine cannot reach: the conda-to-PyPI name mapping that
// mambajs (the page's installer) fetches from GitHub before it installs. That request alone
// is answered here with an empty mapping ({}), and the answer says it was ("routed").
const { chromium } = require("playwright-core");

const CELL_TIMEOUT = 240000;

(async () => {
  const args = process.argv.slice(2);
  const firstVisit = args.includes("--first-visit");
  const [url, shots, cellsArg, complete] = args.filter((a) => a !== "--first-visit");
  const count = Number(cellsArg);
  if (!(Number.isInteger(count) && count > 0)) {
    throw new Error(`CELLS must be a number of cells, not ${cellsArg}`);
  }
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const routed = [];
  let bytes = 0;
  let failing = async (error) => { throw error; };
  const problems = [];
  try {
    // the context's routes also see the kernel's web worker, where the installer runs
    // tall enough for every cell of the test's notebook with its output: the notebook
    // renders only the cells in view (windowing), and the checks read them by position
    const context = await browser.newContext({ viewport: { width: 1280, height: 2400 } });
    const page = await context.newPage();
    page.on("pageerror", (e) => problems.push("pageerror: " + e.message));
    // bytes the page received over the network (bodies as sent, before decompression)
    context.on("requestfinished", async (r) => {
      try {
        const sizes = await r.sizes();
        bytes += sizes.responseBodySize;
      } catch (error) { /* a request the page dropped */ }
    });
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    // signs that the page lost a message (see the first cell below); those after the kernel
    // started are kept for the output
    let lost = 0;
    let started = false;
    const signs = [];
    const sign = (text) => { lost++; if (started) signs.push(text); };
    page.on("console", (m) => { if (m.text().includes("on removed socket")) sign(m.text()); });
    page.on("pageerror", (e) => { if (e.message.includes("value.then is not")) sign(e.message); });
    page.on("requestfailed", (r) => problems.push("failed: " + r.url()));
    page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
    failing = async (error) => {
      await page.screenshot({ path: `${shots}/lite-notebook-failed.png`, fullPage: true });
      console.error(problems.slice(-40).join("\n"));
      throw error;
    };
    await context.route("https://raw.githubusercontent.com/**", (route) => {
      routed.push(route.request().url());
      return route.fulfill({ status: 200, contentType: "application/json", body: "{}" });
    });
    try {
    const start = Date.now();
    await page.goto(url);
    if (!firstVisit) {
      // loaded again once JupyterLite's service worker is registered, as a person's next
      // visit would be: the service worker in control from the start
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      await page.reload();
    }
    // the notebook attaches its cells' nodes when the page is idle, not all at once: the
    // cells are counted and read by position, so wait for all of them (n: at least n)
    const attached = (n) => page.waitForFunction(
      (k) => document.querySelectorAll(".jp-Notebook .jp-Cell").length >= k,
      n,
      { timeout: CELL_TIMEOUT },
    );
    await attached(count);
    const pageMs = Date.now() - start;
    const prompt = (n) =>
      page.locator(".jp-Notebook .jp-Cell").nth(n).locator(".jp-InputArea-prompt").first();
    // done: the cell's prompt shows an execution count ("[3]:"), not "[*]:" or "[ ]:"
    const ran = (n, timeout) => page.waitForFunction(
      (k) => {
        const cell = document.querySelectorAll(".jp-Notebook .jp-Cell")[k];
        const input = cell && cell.querySelector(".jp-InputArea-prompt");
        return input !== null && /\[\d+\]/.test(input.textContent);
      },
      n,
      { timeout },
    );
    // The first cell starts the kernel, and it is sent again until it has run, because
    // JupyterLite's frontend loses a request or an answer now and then while a kernel
    // starts, in a page with the Pyodide kernel too:
    //  - it connects to the kernel more than once, and an answer sent to a connection it
    //    has just replaced is dropped ("Trying to send message on removed socket" in the
    //    page's log; it says so for any answer, not only a cell's);
    //  - the worker bridge it uses (coincident) throws "...value.then is not a function" when
    //    the worker answers before the page waits for it, and that message is lost (a site
    //    of `emci lite build` loads emci-page-fixes.js, which mends this: ci/emci/lite_page.py;
    //    the sign stays watched for pages without it);
    //  - and the first request is sometimes lost without a word (seen with the Pyodide
    //    kernel: an answer at once when sent again 45 s later).
    // So it is sent again at once on either sign and every 15 s without an answer; after
    // 90 s the page is loaded again, as a person would (a kernel under load can stay
    // "starting"). Running the first cell twice does no harm. The other cells are sent once
    // (a second run of an install or of a failing cell would change what it shows): one that
    // does not run fails the check, with the signs of loss seen.
    let resent = 0;  // the first cell's resends
    const sendFirst = async (timeout) => {
      await prompt(0).click();  // selects the cell (command mode)
      const before = lost;
      await page.keyboard.press("Shift+Enter");  // runs it, selects the next one
      let settled = false;
      const answer = ran(0, timeout).then(() => "ran", (e) => e);
      const loss = (async () => {
        while (!settled && lost === before) await new Promise((r) => setTimeout(r, 50));
        return "lost";
      })();
      const outcome = await Promise.race([answer, loss]);
      settled = true;
      return outcome;
    };
    let since = Date.now();
    let reloaded = false;
    for (;;) {
      const outcome = await sendFirst(15000);
      if (outcome === "ran") break;
      if (outcome !== "lost") {
        const waited = Date.now() - since;
        if (reloaded && waited > CELL_TIMEOUT) throw outcome;
        if (!reloaded && waited > 90000) {
          problems.push("cell 0: no answer for 90 s, page loaded again");
          await page.reload();
          await attached(count);
          reloaded = true;
          since = Date.now();
          continue;
        }
      }
      const why = outcome === "lost" ? "a sign of loss" : "no answer yet";
      problems.push(`cell 0: ${why}, sent again`);
      if (++resent > 40) throw new Error("the first cell was sent 40 times without an answer");
    }
    const firstOutputMs = Date.now() - start;
    started = true;
    for (let i = 1; i < count; i++) {
      try {
        await page.keyboard.press("Shift+Enter");
        await ran(i, CELL_TIMEOUT);
      } catch (error) {
        throw new Error(`cell ${i} did not run (signs of a lost message since the kernel ` +
          `started: ${signs.length ? signs.join("; ") : "none"}): ${error.message}`);
      }
    }
    // Shift+Enter on the last cell added an empty one (attached when the page is idle)
    await attached(count + 1);
    const cells = await page.$$eval(".jp-Notebook .jp-Cell", (nodes) =>
      nodes.map((node) => ({
        text: Array.from(node.querySelectorAll(".jp-OutputArea-output"))
          .map((o) => o.textContent).join("\n"),
        html: Array.from(node.querySelectorAll(".jp-RenderedHTMLCommon [id]"))
          .map((e) => e.tagName.toLowerCase() + "#" + e.id),
      })));
    await page.screenshot({ path: `${shots}/lite-notebook.png`,
      clip: { x: 0, y: 0, width: 1280, height: 900 } });

    let completions = [];
    if (complete) {
      // a new cell at the end, its text typed, then Tab: the completer lists the kernel's
      // answers (jedi's, through IPython)
      await prompt(count - 1).click();
      await page.keyboard.press("b");
      await page.keyboard.press("Enter");
      await page.keyboard.type(complete);
      await page.keyboard.press("Tab");
      await page.waitForSelector(".jp-Completer-item", { timeout: 60000 });
      completions = await page.$$eval(".jp-Completer-item", (items) =>
        items.map((i) => (i.querySelector(".jp-Completer-match") || i).textContent.trim()));
      await page.screenshot({ path: `${shots}/lite-completion.png` });
    }
    console.log(JSON.stringify({
      cells, completions, pageMs, firstOutputMs, resent, signs, bytes, routed, problems,
      firstVisit,
    }));
    } catch (error) { await failing(error); }
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
