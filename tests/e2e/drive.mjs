// Drives VS Code (code-server) in headless Chromium through playwright-core: opens a Java file, waits for the
// Compilot server, takes an inline completion (ghost text) with Tab, opens the completion list after ".", and
// waits for a javac diagnostic. Called by test_vscode.py with one argument, a JSON file:
//   {url, workspace, file, artifacts, playwright, chromium, timeoutS, scenario}
// scenario "full" (the default) or "no-server" (expects the error notification of a Python that is missing).
// It writes artifacts/result.json (and prints it as the last line of stdout) and screenshots; the Python test
// asserts on the result and checks the suggestion with its own javac.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { chromium } = createRequire(path.join(cfg.playwright, "package.json"))("playwright-core");
const t0 = Date.now();
const deadline = t0 + cfg.timeoutS * 1000;
const result = { ok: false, steps: {}, console: [], errors: [] };
const filePath = path.join(cfg.workspace, cfg.file);
const original = fs.readFileSync(filePath, "utf8");

const elapsed = () => (Date.now() - t0) / 1000;
const log = (msg) => console.error(`[drive ${elapsed().toFixed(1)}s] ${msg}`);
const left = (capMs) => Math.max(1000, Math.min(capMs, deadline - Date.now()));
const step = (name, data) => {
  result.steps[name] = { atS: Number(elapsed().toFixed(1)), ...data };
  log(`${name}: ${JSON.stringify(data)}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const normalize = (s) => s.replace(/\u00a0/g, " ");

function consoleHas(re) {
  return result.console.some((l) => re.test(l));
}

async function waitFor(what, fn, { timeoutMs, intervalMs = 250, onTick } = {}) {
  const end = Date.now() + left(timeoutMs);
  let n = 0;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    if (onTick) await onTick(++n);
    await sleep(intervalMs);
  }
}

/** Thrown to end a scenario early, successfully. */
class ScenarioDone extends Error {}

let browser;
let page;
try {
  browser = await chromium.launch({
    executablePath: cfg.chromium,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.on("console", (msg) => {
    const text = msg.text();
    result.console.push(text);
    if (text.includes("[compilot]")) log(`console: ${text}`);
  });
  page.on("pageerror", (err) => result.errors.push(String(err)));

  const url = `${cfg.url}/?folder=${encodeURIComponent(cfg.workspace)}`;
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: left(60000) });
  await page.waitForSelector(".monaco-workbench", { timeout: left(60000) });
  await page.waitForSelector(".explorer-folders-view, .explorer-viewlet", { timeout: left(60000) }).catch(() => {});
  step("workbench", {});

  // Open the file with Quick Open.
  const base = path.basename(cfg.file);
  await waitFor(
    `an editor for ${base}`,
    async () => (await page.locator(`.tab[data-resource-name="${base}"]`).count()) > 0,
    {
      timeoutMs: 60000,
      intervalMs: 500,
      onTick: async (n) => {
        if (n % 10 !== 1) return;
        await page.keyboard.press("Escape");
        await page.keyboard.press("Control+P");
        const input = page.locator(".quick-input-widget input");
        await input.waitFor({ state: "visible", timeout: 10000 }).catch(() => {});
        await input.fill(base).catch(() => {});
        await page.waitForSelector(".quick-input-list .monaco-list-row", { timeout: 10000 }).catch(() => {});
        await page.keyboard.press("Enter");
      },
    },
  );
  const editor = page.locator(".editor-instance .monaco-editor").first();
  await editor.waitFor({ state: "visible", timeout: left(30000) });
  step("opened", { file: cfg.file });

  if (cfg.scenario === "no-server") {
    // compilot.pythonPath names no Python: an error notification says how to fix it, the status bar says error.
    const toast = await waitFor("the Compilot error notification", async () => {
      const toasts = await page.locator(".notifications-toasts .notification-toast").evaluateAll((els) =>
        els.map((e) => ({
          message: e.querySelector(".notification-list-item-message")?.textContent ?? e.textContent ?? "",
          buttons: [...e.querySelectorAll(".monaco-button")].map((b) => b.textContent ?? ""),
        })));
      return toasts.find((t) => t.message.includes("Compilot")) ?? null;
    }, { timeoutMs: 60000, intervalMs: 500 });
    const statusItem = page.locator('.statusbar-item[aria-label^="Compilot: "]').first();
    const statusText = await statusItem.textContent();
    const statusLabel = await statusItem.getAttribute("aria-label");
    await page.screenshot({ path: path.join(cfg.artifacts, "no-server.png") });
    step("notification", { toast, statusText, statusLabel });
    result.notification = toast;
    result.status = { text: statusText, label: statusLabel };
    result.ok = true;
    throw new ScenarioDone(); // skip the completion steps
  }

  // The extension activates on the Java file and logs "[compilot] ready" when the server says so.
  await waitFor("[compilot] ready on the extension host console", async () => {
    const bad = result.console.find((l) => /\[compilot\] error/.test(l));
    if (bad) throw new Error(`the extension reported: ${bad}`);
    return consoleHas(/\[compilot\] ready/);
  }, { timeoutMs: 240000, intervalMs: 500 });
  step("ready", {});

  const lines = () => fs.readFileSync(filePath, "utf8").split("\n");
  const lineOf = (needle) => {
    const i = lines().findIndex((l) => l.includes(needle));
    if (i < 0) throw new Error(`no line with ${needle} in ${cfg.file}`);
    return i + 1; // 1-based
  };
  async function gotoLineEnd(line) {
    await editor.click({ position: { x: 300, y: 20 } });
    await page.keyboard.press("Control+G");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible", timeout: 10000 });
    await input.fill(`:${line}`);
    await sleep(200);
    await page.keyboard.press("Enter");
    await sleep(300);
    await page.keyboard.press("End");
  }
  async function save(expect) {
    await page.keyboard.press("Control+S");
    return waitFor(`${cfg.file} saved with ${JSON.stringify(expect)}`, () => {
      const text = fs.readFileSync(filePath, "utf8");
      return text.includes(expect) ? text : null;
    }, { timeoutMs: 20000 });
  }

  // 1. Ghost text inside a method, accepted with Tab.
  const methodLine = lineOf("public String describe(");
  await gotoLineEnd(methodLine);
  await page.keyboard.press("Enter");
  const typed = "if (name == null) ";
  await page.keyboard.type(typed, { delay: 60 });
  const tGhost = Date.now();
  await waitFor("ghost text (.ghost-text-decoration)", async () => {
    const n = await page.locator(".monaco-editor .ghost-text-decoration").count();
    if (n === 0) return false;
    const t = await page.locator(".monaco-editor .ghost-text-decoration").first().textContent();
    return t && t.trim().length > 0;
  }, {
    timeoutMs: 120000,
    intervalMs: 250,
    // If the first request came back empty, ask again (Alt+\ triggers inline suggestions) now and then.
    onTick: async (n) => { if (n % 60 === 0) await page.keyboard.press("Alt+Backslash"); },
  });
  await sleep(500); // let a multi-line suggestion render fully
  const ghost = await page.evaluate(() => {
    // The cursor line's part is inline (.ghost-text-decoration); each further line of a multi-line suggestion is
    // an element of .ghost-text spans in a view zone below it.
    const first = [...document.querySelectorAll(".monaco-editor .view-line .ghost-text-decoration, " +
      ".monaco-editor .view-line .ghost-text-decoration-preview")].map((e) => e.textContent).join("");
    const parents = [];
    for (const span of document.querySelectorAll(".monaco-editor span.ghost-text")) {
      if (!parents.includes(span.parentElement)) parents.push(span.parentElement);
    }
    const more = parents.map((p) => p.textContent);
    const html = [...document.querySelectorAll(".monaco-editor .ghost-text-decoration")]
      .map((e) => e.closest(".view-line")?.outerHTML ?? "").concat(parents.map((p) => p.outerHTML)).join("\n");
    return { first, more, html };
  });
  ghost.first = normalize(ghost.first);
  ghost.more = ghost.more.map(normalize);
  const ghostText = [ghost.first, ...ghost.more].join("\n");
  fs.writeFileSync(path.join(cfg.artifacts, "ghost-dom.html"), ghost.html);
  await page.screenshot({ path: path.join(cfg.artifacts, "ghost-text.png") });
  // The file as it will read once the suggestion is accepted, for the test's own javac.
  const expectedLines = original.split("\n");
  const indent = expectedLines[methodLine].match(/^\s*/)[0];
  expectedLines.splice(methodLine, 0, indent + typed + ghostText);
  fs.mkdirSync(path.join(cfg.artifacts, "candidate"), { recursive: true });
  fs.writeFileSync(path.join(cfg.artifacts, "candidate", base), expectedLines.join("\n"));
  step("ghost", { text: ghostText, latencyS: (Date.now() - tGhost) / 1000 });

  await page.keyboard.press("Tab");
  await waitFor("the ghost text to be gone after Tab", async () =>
    (await page.locator(".monaco-editor .ghost-text-decoration").count()) === 0, { timeoutMs: 10000 });
  // Visible in the document (the editor's own rendering of the line)...
  const lineTexts = await page.locator(".monaco-editor .view-lines .view-line").allTextContents();
  const shown = lineTexts.map(normalize).find((l) => l.includes(typed.trim()));
  // ...and on disk after saving.
  await page.keyboard.press("Escape");
  const saved = await save(typed + ghost.first.trimEnd());
  const savedLine = saved.split("\n").find((l) => l.includes(typed.trim()));
  step("accepted", { shown, savedLine });
  result.accepted = { typed, ghost: ghostText, shown, savedLine, savedText: saved };

  // 2. The completion list after ".".
  const describeLine = lineOf("public String describe(");
  await gotoLineEnd(describeLine);
  await page.keyboard.press("Enter");
  await page.keyboard.type("System.out", { delay: 60 });
  await page.keyboard.press("Escape"); // no ghost text in the way
  await page.keyboard.type(".", { delay: 60 });
  const rows = await waitFor("the completion list (.suggest-widget)", async () => {
    const widget = page.locator(".monaco-editor .suggest-widget.visible");
    if ((await widget.count()) === 0) return null;
    const found = await widget.locator(".monaco-list-row").evaluateAll((els) => els.map((e) => ({
      label: e.querySelector(".label-name")?.textContent ?? "",
      detail: e.querySelector(".details-label")?.textContent ?? "",
    })));
    return found.length > 0 ? found : null;
  }, {
    timeoutMs: 150000,
    intervalMs: 250,
    onTick: async (n) => { if (n % 40 === 0) await page.keyboard.press("Control+Space"); },
  });
  await page.screenshot({ path: path.join(cfg.artifacts, "completion-list.png") });
  step("completionList", { rows });
  result.completionRows = rows;
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Shift+K"); // delete the line with "System.out."

  // 3. A line javac rejects: a squiggle and an entry in Problems.
  await gotoLineEnd(lineOf("public String describe("));
  await page.keyboard.press("Enter");
  const broken = 'int broken = "oops";';
  await page.keyboard.type(broken, { delay: 40 });
  await page.keyboard.press("Escape");
  await save(broken);
  await waitFor("an error squiggle (.squiggly-error)", async () =>
    (await page.locator(".monaco-editor .squiggly-error").count()) > 0, { timeoutMs: 90000, intervalMs: 500 });
  await page.keyboard.press("Control+Shift+M");
  const problems = await waitFor("an entry in the Problems panel", async () => {
    const texts = await page.locator(".markers-panel .monaco-list-row").allTextContents();
    return texts.length > 0 ? texts : null;
  }, { timeoutMs: 30000, intervalMs: 500 });
  await page.screenshot({ path: path.join(cfg.artifacts, "diagnostic.png") });
  step("diagnostic", { problems });
  result.problems = problems;

  // 4. Compilot: Toggle Completions from the command palette turns the server off.
  await page.keyboard.press("Escape");
  await page.keyboard.press("F1");
  const palette = page.locator(".quick-input-widget input");
  await palette.waitFor({ state: "visible", timeout: 10000 });
  await palette.fill(">Compilot: Toggle Completions");
  await page.waitForSelector(".quick-input-list .monaco-list-row", { timeout: 10000 });
  await page.keyboard.press("Enter");
  await waitFor("[compilot] off after Toggle Completions", async () => consoleHas(/\[compilot\] off/), {
    timeoutMs: 20000,
  });
  const item = page.locator('.statusbar-item[aria-label^="Compilot: "]').first();
  const statusLabel = await waitFor("the status bar item to say off", async () => {
    const label = (await item.getAttribute("aria-label")) ?? "";
    return label.startsWith("Compilot: off") ? label : null;
  }, { timeoutMs: 10000 });
  const statusText = await item.textContent();
  await page.screenshot({ path: path.join(cfg.artifacts, "off.png") });
  step("toggledOff", { statusText, statusLabel });
  result.toggledOff = { text: statusText, label: statusLabel };
  result.ok = true;
} catch (error) {
  if (!(error instanceof ScenarioDone)) {
    result.error = String(error && error.stack ? error.stack : error);
    log(`FAILED: ${result.error}`);
    if (page) await page.screenshot({ path: path.join(cfg.artifacts, "failure.png") }).catch(() => {});
  }
} finally {
  result.elapsedS = Number(elapsed().toFixed(1));
  fs.writeFileSync(path.join(cfg.artifacts, "console.log"), result.console.join("\n"));
  const { console: _c, ...rest } = result;
  rest.consoleTail = result.console.filter((l) => l.includes("compilot") || /error/i.test(l)).slice(-40);
  fs.writeFileSync(path.join(cfg.artifacts, "result.json"), JSON.stringify(rest, null, 2));
  if (browser) await browser.close().catch(() => {});
  process.stdout.write(JSON.stringify(rest) + "\n");
  process.exit(result.ok ? 0 : 1);
}
