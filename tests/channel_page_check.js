// Opens a channel page in headless Chromium (Playwright driving Debian's chromium), checks
// its rows and its search box, and takes desktop and phone screenshots.
// Usage: node channel_page_check.js URL SCREENSHOT_DIR
const { chromium } = require("playwright-core");

(async () => {
  const [url, shots] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    const names = await page.$$eval("#rows tr td:first-child", (cells) =>
      cells.map((c) => c.textContent));
    await page.screenshot({ path: `${shots}/channel-desktop.png`, fullPage: true });
    await page.fill("#q", "zlib");
    const visible = await page.$$eval("#rows tr", (rows) =>
      rows.filter((r) => r.style.display !== "none").map((r) => r.cells[0].textContent));
    await page.fill("#q", "");
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(url);
    const phoneTableHeader = await phone.$eval("thead", (h) => getComputedStyle(h).display);
    await phone.screenshot({ path: `${shots}/channel-phone.png` });
    console.log(JSON.stringify({ names, visible, phoneTableHeader, title: await page.title() }));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
