// review_test.mjs: open review.html in headless Chromium (playwright-core, Debian's chromium) and
// check what a reviewer does: every area drawn, no network request, no console error, search a
// code, click an area and read its relations, filter and sort the changes; take screenshots.
//
// node review_test.mjs --html OUT/review.html --areas OUT/areas.csv --changes OUT/changes.csv
//                      --shots DIR [--search CODE] [--click CODE] [--kommuner 2080,2081]
//                      [--chromium /usr/bin/chromium] [--ready-ms 60000]
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const args = { chromium: '/usr/bin/chromium', 'ready-ms': '60000', search: '', click: '', kommuner: '' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const need of ['html', 'areas', 'changes', 'shots'])
  if (!args[need]) { console.error(`review_test: --${need} is required`); process.exit(2); }

let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) { passed++; console.log(`ok - ${what}`); }
  else { failed++; console.log(`not ok - ${what}${detail ? ': ' + detail : ''}`); }
  return ok;
}

// A CSV with quoted fields (codes carry no commas, but be safe).
function readCsv(path) {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length);
  const parse = (line) => {
    const out = []; let cur = '', q = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (q) { if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c; }
      else if (c === '"') q = true; else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
    }
    out.push(cur);
    return out;
  };
  const head = parse(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(parse(l).map((v, i) => [head[i], v])));
}

const areas = readCsv(args.areas);
const changes = readCsv(args.changes);
const codes = { old: areas.filter((a) => a.version === 'old'), new: areas.filter((a) => a.version === 'new') };
const related = (version, code) => {
  const a = areas.find((x) => x.version === version && x.code === code);
  return a ? a.related.split(';').filter(Boolean).sort() : null;
};
mkdirSync(args.shots, { recursive: true });

const profile = mkdtempSync(join(tmpdir(), 'regrev-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: args.chromium,
  headless: true,
  viewport: { width: 1440, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const consoleErrors = [], foreign = [];
context.on('request', (req) => {
  const u = req.url();
  if (!/^(file|data|blob):/.test(u)) foreign.push(u);
});
await context.route('**/*', (route) => {
  const u = route.request().url();
  if (/^(file|data|blob):/.test(u)) route.continue();
  else route.abort();
});
const page = context.pages()[0] || (await context.newPage());
page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
page.on('pageerror', (err) => consoleErrors.push(String(err)));

try {
  const t0 = Date.now();
  await page.goto(pathToFileURL(resolve(args.html)).href, { waitUntil: 'load', timeout: +args['ready-ms'] });
  await page.waitForFunction(() => window.regrev && window.regrev.ready, null, { timeout: +args['ready-ms'] });
  const loadMs = Date.now() - t0;
  console.log(`# page ready in ${loadMs} ms`);

  // Every area of both versions is drawn, with its code.
  for (const v of ['old', 'new']) {
    const drawn = await page.$$eval(`#fill-${v} path`, (ps) => ps.map((p) => p.dataset.c));
    const want = codes[v].map((a) => a.code);
    const missing = want.filter((c) => !drawn.includes(c));
    check(drawn.length === want.length && missing.length === 0,
      `all ${want.length} ${v} areas drawn`, `drawn ${drawn.length}, missing ${missing.slice(0, 5).join(' ')}`);
    const empty = await page.$$eval(`#fill-${v} path`, (ps) => ps.filter((p) => !p.getAttribute('d')).length);
    check(empty === 0, `every ${v} area has a shape`, `${empty} without`);
  }
  const nRows = await page.$$eval('#changes-table tbody tr', (r) => r.length);
  check(nRows === changes.length, `table of changes has the ${changes.length} rows of changes.csv`, `${nRows}`);
  const summary = (await page.textContent('#summary-words')).replace(/[\s\u00a0\u202f]/g, '');
  check(summary.includes(String(codes.old.length)) && summary.includes(String(changes.length)) && summary.length > 200,
    'summary in words names the figures (areas, change rows)');
  const box = await page.$eval('#fill-new', (g) => { const b = g.getBBox(); return [b.width, b.height]; });
  check(box[0] > 0 && box[1] > 0, 'areas render with a non-empty extent');

  // Search a code: the map zooms to it and the details show its relations.
  const searchCode = args.search || codes.new.find((a) => a.class !== 'unchanged')?.code || codes.new[0].code;
  const k0 = await page.evaluate(() => window.regrev.state.k);
  await page.fill('#search', searchCode);
  await page.waitForSelector('#search-results li');
  await page.press('#search', 'Enter');
  await page.waitForFunction((c) => document.querySelector('#details-code')?.textContent === c, searchCode, { timeout: 5000 }).catch(() => {});
  const shown = await page.textContent('#details-code').catch(() => null);
  check(shown === searchCode, `search ${searchCode} selects it`, `details show ${shown}`);
  const k1 = await page.evaluate(() => window.regrev.state.k);
  check(k1 > k0, 'search zooms the map to the area', `scale ${k0} -> ${k1}`);
  const side = await page.evaluate(() => window.regrev.state.sel && window.regrev.state.sel.side);
  const rel = await page.$$eval('#details-related .code-link', (b) => b.map((x) => x.textContent).sort());
  const want = related(side, searchCode);
  check(want && JSON.stringify(rel) === JSON.stringify(want), `details of ${searchCode} list its related codes`, `page ${rel} csv ${want}`);
  const relRows = await page.$$eval('#details-relations tbody tr', (r) => r.length);
  check(relRows >= 1, `details of ${searchCode} show relations with weights`, `${relRows} rows`);
  await page.screenshot({ path: join(args.shots, 'review-search.png') });

  // Click an area on the map.
  const clickCode = args.click || searchCode;
  await page.evaluate((c) => window.regrev.zoomToCodes([c]), clickCode);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.click('#zoom-all');
  await page.evaluate((c) => window.regrev.zoomToCodes([c]), clickCode);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const pt = await page.evaluate((c) => window.regrev.screenPoint('new', c) || window.regrev.screenPoint('old', c), clickCode);
  check(!!pt, `label point of ${clickCode} known`);
  if (pt) {
    await page.mouse.click(pt.x, pt.y);
    await page.waitForFunction((c) => document.querySelector('#details-code')?.textContent === c, clickCode, { timeout: 5000 }).catch(() => {});
    const got = await page.textContent('#details-code').catch(() => null);
    check(got === clickCode, `click on the map selects ${clickCode}`, `details show ${got}`);
    const relC = await page.$$eval('#details-relations tbody tr', (r) => r.length);
    check(relC >= 1, `clicked area shows its relations`, `${relC}`);
    const hl = await page.$$eval('#sel path.main', (p) => p.length);
    check(hl === 1, 'clicked area is outlined on the map');
  }

  // Filter and sort the table of changes.
  const types = await page.$$eval('#filter-type option', (o) => o.map((x) => x.value).filter(Boolean));
  if (types.length) {
    await page.selectOption('#filter-type', types[0]);
    const tys = await page.$$eval('#changes-table tbody tr', (r) => r.map((x) => x.dataset.type));
    const name = await page.$eval('#changes-table tbody tr td:nth-child(3)', (c) => c.textContent);
    const wantN = changes.filter((c) => c.change_type === name).length;
    check(tys.length === wantN && tys.every((x) => x === types[0]),
      `change-type filter keeps the ${wantN} rows of "${name}"`, `${tys.length} rows`);
    await page.selectOption('#filter-type', '');
  }
  await page.click('#changes-table th[data-col="area"]');
  const areasCol = await page.$$eval('#changes-table tbody tr td:nth-child(5)', (c) => c.map((x) => parseFloat(x.textContent.replace(/\s|\u00a0|\u202f/g, '').replace(',', '.'))));
  check(areasCol.every((v, i) => i === 0 || areasCol[i - 1] >= v), 'sorting by area orders the rows (largest first)');
  const typeNames = new Set(changes.map((c) => c.change_type));
  const pageTypes = await page.$$eval('#changes-table tbody tr td:nth-child(3)', (c) => [...new Set(c.map((x) => x.textContent))]);
  check(pageTypes.every((t) => typeNames.has(t)), 'change types use SCB\'s words as in changes.csv', pageTypes.join(' | '));

  // Language toggle.
  await page.click('#lang');
  const en = await page.textContent('h1');
  check(/review/i.test(en), 'English toggle translates the page', en);
  await page.click('#lang');
  const sv = await page.textContent('h1');
  check(/granskning/i.test(sv), 'and back to Swedish', sv);

  // Responsiveness: zooming with the wheel stays interactive.
  await page.click('#zoom-all');
  const map = await page.$('#map-svg');
  const mb = await map.boundingBox();
  const tz = Date.now();
  for (let i = 0; i < 6; i++) {
    await page.mouse.move(mb.x + mb.width / 2, mb.y + mb.height / 2);
    await page.mouse.wheel(0, -300);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }
  const zoomMs = (Date.now() - tz) / 6;
  console.log(`# one wheel zoom step and redraw: ${zoomMs.toFixed(0)} ms`);
  check(zoomMs < 3000, 'wheel zoom redraws within 3 s a step', `${zoomMs} ms`);

  // Screenshots: the whole page, and the map at the changes of the chosen municipalities.
  await page.click('#zoom-all');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(args.shots, 'review-page.png'), fullPage: true });
  // The map at the changes of the chosen municipalities (all of them, then each), with one
  // X -> Y change selected so its moved part and the areas it joins are outlined.
  const kom = (args.kommuner || '').split(',').filter(Boolean);
  const rowsP = await page.evaluate(() => window.regrev.changes());
  const shoot = async (list, file) => {
    let pick = -1;
    rowsP.forEach((r, k) => {
      if ((!list.length || list.includes(r.kommun)) && r.drawn && r.old !== r.new &&
          (pick < 0 || (r.pop || 0) > (rowsP[pick].pop || 0))) pick = k;
    });
    if (pick >= 0) await page.evaluate((k) => window.regrev.selectChange(k), pick);
    const ok = await page.evaluate((l) => window.regrev.zoomToChanges(l), list);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    if (ok) await page.screenshot({ path: join(args.shots, file) });
    return ok;
  };
  if (rowsP.length) {
    check(await shoot(kom, 'review-changes.png'), `map zooms to the changes${kom.length ? ' in ' + kom.join(', ') : ''}`);
    for (const k of kom) await shoot([k], `review-changes-${k}.png`);
  }
  console.log(`# screenshots in ${resolve(args.shots)}`);
} catch (err) {
  check(false, 'the page runs through the test', String(err && err.stack || err));
}

check(consoleErrors.length === 0, 'no console errors', consoleErrors.slice(0, 5).join(' | '));
check(foreign.length === 0, 'no network requests (only file:, data:, blob:)', foreign.slice(0, 5).join(' '));
await context.close();
rmSync(profile, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
