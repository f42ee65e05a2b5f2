// Drives the official Control UI (served by the gateway under test) in headless
// Chromium with playwright-core: opens each view, records every WebSocket reply
// that is not ok and every failed HTTP request per view, then types a message into
// the chat box and waits for the answer to appear. Prints one JSON report.
//
// node ui_tour.mjs <playwright-core dir> <chromium> <base url> <token> <answer> <out.png> <view=path>...
import { createRequire } from "node:module";

const [, , playwrightDir, chromiumPath, base, token, answer, screenshot, ...views] = process.argv;
const { chromium } = createRequire(`${playwrightDir}/`)(playwrightDir);

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  // The flags the project's browser tests use on this machine (see GUIDE.md).
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const report = { views: {}, methods: [], chat: {} };
let view = "boot";
const entry = () => (report.views[view] ??= { calls: 0, errors: [], failedRequests: [] });
const pending = new Map();
let lastFrame = Date.now();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => {
      try {
        const m = JSON.parse(f.payload);
        if (m.type === "req") pending.set(m.id, { view, method: m.method });
      } catch {}
    });
    ws.on("framereceived", (f) => {
      lastFrame = Date.now();
      try {
        const m = JSON.parse(f.payload);
        if (m.type !== "res") return;
        const req = pending.get(m.id);
        pending.delete(m.id);
        if (!req) return;
        const e = (report.views[req.view] ??= { calls: 0, errors: [], failedRequests: [] });
        e.calls += 1;
        if (!report.methods.includes(req.method)) report.methods.push(req.method);
        if (!m.ok) e.errors.push(`${req.method}: ${m.error?.code} ${m.error?.message}`);
      } catch {}
    });
  });
  page.on("requestfailed", (r) => {
    // Requests cut short by the next navigation are not failures.
    if (r.failure()?.errorText !== "net::ERR_ABORTED") entry().failedRequests.push(`${r.url()} ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) entry().failedRequests.push(`${r.url()} ${r.status()}`);
  });

  // Settled: every request answered and no frame for 800 ms (bounded); a route
  // change renders asynchronously, so give the view a moment to start its reads.
  const settle = async (maxMs) => {
    await page.waitForTimeout(1500);
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
      if (pending.size === 0 && Date.now() - lastFrame > 800) return;
      await page.waitForTimeout(100);
    }
  };

  await page.goto(`${base}/#token=${encodeURIComponent(token)}`);
  await page.getByRole("textbox", { name: "Chat composer" }).waitFor({ timeout: 30000 });
  await settle(10000);
  for (const v of views) {
    const [name, path] = v.split("=");
    view = name;
    entry();
    await page.evaluate((p) => { history.pushState({}, "", p); dispatchEvent(new PopStateEvent("popstate")); }, path);
    await settle(8000);
  }

  view = "chat-send";
  entry();
  await page.evaluate(() => { history.pushState({}, "", "/chat"); dispatchEvent(new PopStateEvent("popstate")); });
  const box = page.getByRole("textbox", { name: "Chat composer" });
  await box.waitFor({ timeout: 15000 });
  await box.fill("Tell me about foxes");
  await box.press("Enter");
  const started = Date.now();
  try {
    await page.getByText(answer, { exact: false }).first().waitFor({ timeout: 30000 });
    report.chat = { answered: true, ms: Date.now() - started };
  } catch (e) {
    report.chat = { answered: false, error: String(e).split("\n")[0] };
  }
  await settle(5000);
  report.chat.sent = report.methods.includes("chat.send");
  await page.screenshot({ path: screenshot });
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
