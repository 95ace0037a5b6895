/* review.js: the map, details, search, tables and municipality report of review.html.
 * Plain JavaScript, no libraries and no network: everything comes from the JSON in the page.
 * Coordinates are map units (x right, y down, meta.q metres each): geometry is simplified for
 * display, every figure comes from the exact overlay. */
'use strict';
(function () {
  const D = JSON.parse(document.getElementById('regrev-data').textContent);
  const M = D.meta;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  /* ---- words ------------------------------------------------------------------------------ */
  const TXT = {
    sv: {
      title: 'Granskning av områdesrevision', search_ph: 'Sök kod eller kommun …', lang: 'English',
      nav_map: 'Karta', nav_summary: 'Sammanfattning', nav_changes: 'Ändringar', nav_report: 'Kommuner',
      layers: 'Lager', fill_new: 'Färg: nya områden', fill_old: 'Färg: gamla områden',
      lyr_new: 'Nya gränser', lyr_old: 'Gamla gränser', lyr_moved: 'Flyttade delar',
      lyr_kommun: 'Kommungränser', lyr_labels: 'Etiketter', zoom_all: 'Visa allt',
      legend_class: 'Klass', legend_lines: 'Linjer', kommun_line: 'Kommungräns',
      old: 'gammal', new: 'ny', old_v: 'Gamla', new_v: 'Nya', area: 'Yta', pop: 'Befolkning (skattad)',
      cls: 'Klass', kommun: 'Kommun', related: 'Motsvarande koder', relations: 'Relationer i nyckeln (key.csv)',
      other_code: 'Kod', none_new: '(ingen ny kod: ej täckt)', none_old: '(ej täckt tidigare, t.ex. hav)',
      moved_out: 'Befolkning till andra koder', moved_in: 'Befolkning från andra koder',
      area_out: 'Yta till andra koder', area_in: 'Yta från andra koder',
      changes_of: 'Ändringsrader', no_changes: 'Inga ändringsrader.',
      hint: 'Klicka på ett område i kartan, sök en kod eller kommun, eller välj en rad i ändringstabellen.',
      hint2: 'Dra för att panorera, rulla eller använd +/− för att zooma. Dubbelklick zoomar in.',
      change: 'Ändring', changes_title: 'Ändringar (SCB:s förändringstyper)', filter_type: 'Ändringstyp',
      filter_text: 'Kod eller kommun', all_types: 'Alla ändringstyper', rows_shown: (n, m) => `${n} av ${m} rader`,
      col_old: 'Gammal kod', col_new: 'Ny kod', col_type: 'Ändringstyp', col_kommun: 'Kommun',
      col_area: 'Yta (ha)', col_pop: 'Befolkning', pop_short: 'Bef.', count: 'Antal', areas_old: 'Gamla', areas_new: 'Nya',
      report_title: 'Kommunöversikt',
      report_intro: 'Varje karta visar kommunens nya områden färgade efter klass, de gamla gränserna streckade och de flyttade delarna i orange. Klicka på en karta för att visa kommunen i huvudkartan.',
      only_changed: 'Visa bara kommuner med ändringar', areas_word: 'områden', rows_word: 'ändringsrader',
      moved_word: 'pers. flyttade', no_change_k: 'inga ändringar', fig: 'Nyckeltal',
      fig_pieces: 'Överlagringsbitar', fig_rel: 'Relationer i nyckeln', fig_units: 'Jämförbara enheter',
      fig_pop: 'Befolkning (källa)', fig_moved_pop: 'Befolkning i flyttade delar', fig_moved_area: 'Flyttad yta',
      sum_classes: 'Områden per klass', sum_types: 'Ändringsrader per typ', type: 'Typ',
      search_kommun: 'kommun', search_area: 'område', weights_note: 'w_* = vikter: andel av det gamla (old) eller nya (new) områdets yta eller befolkning.',
      footer: (m) => `Skapad av regrev ${esc(M.version)} från <b>${esc(D.old.path)}</b> (fält ${esc(D.old.field)}, ${m.nOld} områden) och <b>${esc(D.new.path)}</b> (fält ${esc(D.new.field)}, ${m.nNew} områden)${M.crs ? ', ' + esc(M.crs) : ''}. Kartans gränser är förenklade för visning (tolerans ${m.tol}); alla siffror bygger på den exakta geometrin. Sidan fungerar utan nätverk.`,
    },
    en: {
      title: 'Review of an area revision', search_ph: 'Search code or municipality …', lang: 'Svenska',
      nav_map: 'Map', nav_summary: 'Summary', nav_changes: 'Changes', nav_report: 'Municipalities',
      layers: 'Layers', fill_new: 'Colour: new areas', fill_old: 'Colour: old areas',
      lyr_new: 'New boundaries', lyr_old: 'Old boundaries', lyr_moved: 'Moved parts',
      lyr_kommun: 'Municipal boundaries', lyr_labels: 'Labels', zoom_all: 'Show all',
      legend_class: 'Class', legend_lines: 'Lines', kommun_line: 'Municipal boundary',
      old: 'old', new: 'new', old_v: 'Old', new_v: 'New', area: 'Area', pop: 'Population (estimated)',
      cls: 'Class', kommun: 'Municipality', related: 'Corresponding codes', relations: 'Relations in the key (key.csv)',
      other_code: 'Code', none_new: '(no new code: not covered)', none_old: '(not covered before, e.g. sea)',
      moved_out: 'Population to other codes', moved_in: 'Population from other codes',
      area_out: 'Area to other codes', area_in: 'Area from other codes',
      changes_of: 'Change rows', no_changes: 'No change rows.',
      hint: 'Click an area on the map, search a code or municipality, or pick a row in the table of changes.',
      hint2: 'Drag to pan, scroll or use +/− to zoom. Double-click zooms in.',
      change: 'Change', changes_title: "Changes (SCB's change types)", filter_type: 'Change type',
      filter_text: 'Code or municipality', all_types: 'All change types', rows_shown: (n, m) => `${n} of ${m} rows`,
      col_old: 'Old code', col_new: 'New code', col_type: 'Change type', col_kommun: 'Municipality',
      col_area: 'Area (ha)', col_pop: 'Population', pop_short: 'Pop.', count: 'Count', areas_old: 'Old', areas_new: 'New',
      report_title: 'Municipalities at a glance',
      report_intro: 'Each map shows the municipality\'s new areas coloured by class, the old boundaries dashed and the moved parts in orange. Click a map to show the municipality on the main map.',
      only_changed: 'Only municipalities with changes', areas_word: 'areas', rows_word: 'change rows',
      moved_word: 'people moved', no_change_k: 'no changes', fig: 'Key figures',
      fig_pieces: 'Overlay pieces', fig_rel: 'Relations in the key', fig_units: 'Comparable units',
      fig_pop: 'Population (source)', fig_moved_pop: 'Population in moved parts', fig_moved_area: 'Moved area',
      sum_classes: 'Areas per class', sum_types: 'Change rows per type', type: 'Type',
      search_kommun: 'municipality', search_area: 'area', weights_note: 'w_* = weights: share of the old or new area\'s area or population.',
      footer: (m) => `Made by regrev ${esc(M.version)} from <b>${esc(D.old.path)}</b> (field ${esc(D.old.field)}, ${m.nOld} areas) and <b>${esc(D.new.path)}</b> (field ${esc(D.new.field)}, ${m.nNew} areas)${M.crs ? ', ' + esc(M.crs) : ''}. Boundaries on the map are simplified for display (tolerance ${m.tol}); every figure comes from the exact geometry. The page works offline.`,
    },
  };
  const CLASS_TXT = {
    sv: { unchanged: 'oförändrad', recoded: 'ny kod, samma yta', boundary: 'ändrad gräns', split: 'delad', merged: 'sammanslagen', complex: 'komplex omfördelning', new: 'ny', ceased: 'upphörd' },
    en: { unchanged: 'unchanged', recoded: 'recoded, same area', boundary: 'boundary changed', split: 'split', merged: 'merged', complex: 'complex (many-to-many)', new: 'new', ceased: 'ceased' },
  };
  const TYPE_EN = {
    'Upphör; till nybildad': 'Ceases; to a new area',
    'Upphör; till befintlig': 'Ceases; to an existing area',
    'Minskas och ger del till befintlig eller nybildad': 'Shrinks, gives part to an existing or new area',
    'Ger del/delar till befintlig': 'Gives part(s) to an existing area',
    'Ger del till nybildad': 'Gives part to a new area',
    'Utvidgas': 'Grows',
    'Utvidgas till territorialvattengräns': 'Grows to the territorial water boundary',
    'Kodändrad; annat än 20-22': 'Code changed',
  };
  /* change types (indices into D.types) that move area between different codes */
  const MOVE_TYPES = new Set([0, 1, 3, 4]);
  const RECODE_TYPE = 7, SEA_TYPE = 6, SHRINK_TYPE = 2, GROW_TYPE = 5;

  const S = {
    lang: 'sv', fill: 'new', sel: null, selChange: -1, selKommun: null,
    sort: { col: 'old', dir: 1 }, k: 1, tx: 0, ty: 0, W: 800, H: 600,
  };
  try { if (/(^|[#&])en\b/.test(location.hash)) S.lang = 'en'; } catch (e) { /* no location */ }
  const t = (key) => TXT[S.lang][key];
  const clsName = (c) => CLASS_TXT[S.lang][D.classes[c]] || D.classes[c];
  const typeName = (ti) => (S.lang === 'en' ? TYPE_EN[D.types[ti]] || D.types[ti] : D.types[ti]);

  /* ---- numbers ---------------------------------------------------------------------------- */
  const nf = {};
  const fmt = (x, dec) => {
    if (x === null || x === undefined || !isFinite(x)) return '–';
    const key = S.lang + dec;
    if (!nf[key]) nf[key] = new Intl.NumberFormat(S.lang === 'sv' ? 'sv-SE' : 'en-GB', { minimumFractionDigits: dec, maximumFractionDigits: dec });
    return nf[key].format(x);
  };
  const fmtArea = (m2) => (m2 >= 1e6 ? fmt(m2 / 1e6, m2 >= 1e8 ? 0 : 2) + ' km²' : fmt(m2 / 1e4, 1) + ' ha');
  const fmtPop = (p) => (M.has_pop ? fmt(p, 0) : '–');
  const fmtW = (w) => (w === null || w === undefined ? '–' : fmt(w, 4));
  const fmtLen = (m) => (M.geographic ? fmt(m, 4) + '°' : m >= 1000 ? fmt(m / 1000, m >= 10000 ? 0 : 1) + ' km' : fmt(m, 0) + ' m');

  /* ---- indices ---------------------------------------------------------------------------- */
  const SIDES = ['old', 'new'];
  const year = (p) => { const m = /(?:19|20)\d\d/.exec(p || ''); return m ? m[0] : ''; };
  const YEAR = { old: year(D.old.path), new: year(D.new.path) };
  const verName = (side) => (YEAR[side] ? `${t(side + '_v')} ${YEAR[side]}` : t(side + '_v'));
  for (const side of SIDES) {
    const A = D[side];
    A.n = A.code.length;
    A.index = new Map(A.code.map((c, i) => [c, i]));
    A.rel = A.code.map(() => []);
  }
  D.rel.forEach((r, k) => { if (r[0] >= 0) D.old.rel[r[0]].push(k); if (r[1] >= 0) D.new.rel[r[1]].push(k); });
  const code = (side, i) => (i >= 0 ? D[side].code[i] : '');
  const rows = D.changes.map((c, k) => {
    const oc = code('old', c[0]), nc = code('new', c[1]);
    const kommun = c[0] >= 0 ? D.old.kommun[c[0]] : c[1] >= 0 ? D.new.kommun[c[1]] : '';
    return { k, o: c[0], n: c[1], t: c[2], area: c[3], pop: c[4], bb: c[5], d: c[6], oc, nc, kommun };
  });
  /* the change rows of an area: every row that names its code, on either side */
  const rowsOfCode = new Map();
  for (const r of rows) for (const c of new Set([r.oc, r.nc])) if (c) { if (!rowsOfCode.has(c)) rowsOfCode.set(c, []); rowsOfCode.get(c).push(r.k); }
  for (const side of SIDES) D[side].chg = D[side].code.map((c) => rowsOfCode.get(c) || []);
  const kname = (k) => (typeof KOMMUN_NAMES !== 'undefined' && KOMMUN_NAMES[k]) || '';
  const klabel = (k) => (kname(k) ? `${kname(k)} (${k})` : k);
  const KOM = new Map();
  for (const side of SIDES) {
    const A = D[side];
    for (let i = 0; i < A.n; i++) {
      const k = A.kommun[i];
      if (!k) continue;
      if (!KOM.has(k)) KOM.set(k, { code: k, old: [], new: [], rows: [], d: '', lp: null, bb: null });
      const e = KOM.get(k);
      e[side].push(i);
      const b = A.bb[i];
      if (b && side === 'new') e.bb = e.bb ? [Math.min(e.bb[0], b[0]), Math.min(e.bb[1], b[1]), Math.max(e.bb[2], b[2]), Math.max(e.bb[3], b[3])] : b.slice();
    }
  }
  for (const e of KOM.values()) if (!e.bb) for (const i of e.old) { const b = D.old.bb[i]; if (b) e.bb = e.bb ? [Math.min(e.bb[0], b[0]), Math.min(e.bb[1], b[1]), Math.max(e.bb[2], b[2]), Math.max(e.bb[3], b[3])] : b.slice(); }
  for (const k of D.kommuner || []) if (KOM.has(k.code)) { KOM.get(k.code).d = k.d; KOM.get(k.code).lp = k.lp; }
  for (const r of rows) if (KOM.has(r.kommun)) KOM.get(r.kommun).rows.push(r.k);
  const KOMS = [...KOM.values()].sort((a, b) => a.code.localeCompare(b.code));

  /* ---- figures ------------------------------------------------------------------------------ */
  const F = (() => {
    const f = { nOld: D.old.n, nNew: D.new.n, clsOld: D.classes.map(() => 0), clsNew: D.classes.map(() => 0), types: D.types.map(() => ({ n: 0, area: 0, pop: 0 })) };
    D.old.cls.forEach((c) => f.clsOld[c]++);
    D.new.cls.forEach((c) => f.clsNew[c]++);
    f.movedPop = 0; f.movedArea = 0; f.recodedPop = 0; f.seaArea = 0;
    for (const r of rows) {
      const ty = f.types[r.t];
      ty.n++; ty.area += r.area; ty.pop += r.pop || 0;
      if (MOVE_TYPES.has(r.t)) { f.movedPop += r.pop || 0; f.movedArea += r.area; }
      if (r.t === RECODE_TYPE) f.recodedPop += r.pop || 0;
      if (r.t === SEA_TYPE) f.seaArea += r.area;
    }
    f.popOld = D.old.pop.reduce((s, p) => s + (p || 0), 0);
    f.kommunerChanged = KOMS.filter((e) => e.rows.length).length;
    f.tol = fmtLen(M.tol);
    return f;
  })();

  /* ---- map ------------------------------------------------------------------------------------ */
  const svg = $('map-svg'), view = $('view'), mapEl = $('map');
  const colour = (c) => D.colours[c] || '#ccc';
  function buildMap() {
    for (const side of SIDES) {
      const A = D[side];
      let h = '';
      for (let i = 0; i < A.n; i++)
        h += `<path data-s="${side}" data-i="${i}" data-c="${esc(A.code[i])}" fill="${colour(A.cls[i])}" d="${A.d[i]}"></path>`;
      $('fill-' + side).innerHTML = h;
    }
    $('edges-old').innerHTML = tiles(D.edges.old || '');
    $('edges-new').innerHTML = tiles(D.edges.new || '');
    $('kommun-lines').innerHTML = tiles(KOMS.map((e) => e.d).join(''));
    let m = '';
    for (const r of rows) if (r.d) m += `<path data-k="${r.k}" d="${r.d}"></path>`;
    $('moved').innerHTML = m;
    applyFill();
  }
  /* Long line paths split into a grid of tiles: the browser skips tiles off screen, and a dashed
   * stroke is computed over the whole length of its path (seconds a frame when zoomed in). */
  function tiles(d) {
    const n = 24, cw = Math.max(M.w, 1) / n, ch = Math.max(M.h, 1) / n, cells = new Map();
    const put = (pts) => {
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      let str = `M${pts[0]} ${pts[1]}l`;
      for (let i = 0; i < pts.length; i += 2) {
        const x = pts[i], y = pts[i + 1];
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
        if (i) str += `${pts[i] - pts[i - 2]} ${pts[i + 1] - pts[i - 1]} `;
      }
      const cx = Math.min(n - 1, Math.max(0, Math.floor((x0 + x1) / 2 / cw)));
      const cy = Math.min(n - 1, Math.max(0, Math.floor((y0 + y1) / 2 / ch)));
      const key = cy * n + cx;
      cells.set(key, (cells.get(key) || '') + str);
    };
    for (const sub of d.split(/(?=M)/)) {
      const num = sub.match(/-?\d+/g);
      if (!num || num.length < 4) continue;
      let x = +num[0], y = +num[1], pts = [x, y];
      for (let i = 2; i + 1 < num.length; i += 2) {
        x += +num[i]; y += +num[i + 1];
        pts.push(x, y);
        if (pts.length >= 80) { put(pts); pts = [x, y]; }
      }
      if (sub.endsWith('z')) pts.push(+num[0], +num[1]);
      if (pts.length >= 4) put(pts);
    }
    let h = '';
    for (const part of cells.values()) h += `<path d="${part}"></path>`;
    return h;
  }
  function applyFill() {
    mapEl.classList.toggle('show-old-fill', S.fill === 'old');
    mapEl.classList.toggle('show-new-fill', S.fill === 'new');
  }

  let frame = 0;
  function schedule() { if (!frame) frame = requestAnimationFrame(() => { frame = 0; applyView(); }); }
  function applyView() {
    view.setAttribute('transform', `translate(${S.tx.toFixed(2)} ${S.ty.toFixed(2)}) scale(${S.k.toPrecision(8)})`);
    const p = $('hatch'), u = 8 / S.k;
    p.setAttribute('width', u); p.setAttribute('height', u);
    p.firstElementChild.setAttribute('width', u); p.firstElementChild.setAttribute('height', u);
    const ln = p.lastElementChild;
    ln.setAttribute('y2', u); ln.setAttribute('stroke-width', 2.5 / S.k);
    updateScale();
    updateLabels();
  }
  function resize() {
    const r = svg.getBoundingClientRect();
    const cx = (S.W / 2 - S.tx) / S.k, cy = (S.H / 2 - S.ty) / S.k;
    S.W = Math.max(r.width, 10); S.H = Math.max(r.height, 10);
    svg.setAttribute('viewBox', `0 0 ${S.W} ${S.H}`);
    if (!S.fitted) { S.fitted = true; fitAll(); return; }
    S.tx = S.W / 2 - cx * S.k; S.ty = S.H / 2 - cy * S.k;
    schedule();
  }
  const kFit = () => Math.min(S.W / Math.max(M.w, 1), S.H / Math.max(M.h, 1)) * 0.94;
  const kMax = () => M.q / (M.geographic ? 2e-6 : 0.4);
  function zoomToBox(bb, pad) {
    if (!bb) return;
    const minSpan = (M.geographic ? 0.01 : 700) / M.q;
    const bw = Math.max(bb[2] - bb[0], minSpan), bh = Math.max(bb[3] - bb[1], minSpan);
    const f = 1 - 2 * (pad === undefined ? 0.12 : pad);
    S.k = Math.min(Math.max(Math.min(S.W / bw, S.H / bh) * f, kFit() * 0.5), kMax());
    S.tx = S.W / 2 - ((bb[0] + bb[2]) / 2) * S.k;
    S.ty = S.H / 2 - ((bb[1] + bb[3]) / 2) * S.k;
    schedule();
  }
  function fitAll() { zoomToBox([0, 0, M.w, M.h], 0.03); }
  function zoomAt(px, py, f) {
    const k = Math.min(Math.max(S.k * f, kFit() * 0.5), kMax());
    S.tx = px - ((px - S.tx) / S.k) * k; S.ty = py - ((py - S.ty) / S.k) * k; S.k = k;
    schedule();
  }
  function updateScale() {
    const mpp = M.q / S.k, target = 110 * mpp;
    const p = Math.pow(10, Math.floor(Math.log10(target)));
    const nice = [1, 2, 5, 10].map((m) => m * p).filter((v) => v <= target).pop() || p;
    const sb = $('scalebar');
    sb.firstElementChild.style.width = (nice / mpp).toFixed(0) + 'px';
    sb.lastElementChild.textContent = fmtLen(nice);
  }

  /* labels in screen space: municipality names when zoomed out, area codes when they fit */
  function updateLabels() {
    const g = $('labels');
    if (!$('lyr-labels').checked) { g.innerHTML = ''; return; }
    const A = D[S.fill], k = S.k, placed = [];
    let h = '';
    const fits = (x, y, w, hh) => {
      if (x - w / 2 < 2 || x + w / 2 > S.W - 2 || y - hh / 2 < 2 || y + hh / 2 > S.H - 2) return false;
      for (const b of placed) if (Math.abs(b[0] - x) * 2 < b[2] + w && Math.abs(b[1] - y) * 2 < b[3] + hh) return false;
      placed.push([x, y, w, hh]);
      return true;
    };
    const cands = [];
    for (let i = 0; i < A.n; i++) {
      const b = A.bb[i], p = A.lp[i];
      if (!b || !p) continue;
      const w = (b[2] - b[0]) * k, hh = (b[3] - b[1]) * k;
      if (w < 62 || hh < 22) continue;
      const x = p[0] * k + S.tx, y = p[1] * k + S.ty;
      if (x < 0 || y < 0 || x > S.W || y > S.H) continue;
      cands.push([w * hh, i, x, y]);
    }
    const visible = cands.length;
    if (visible < 60) {
      for (const e of KOMS) {
        if (!e.lp || !e.bb) continue;
        const x = e.lp[0] * k + S.tx, y = e.lp[1] * k + S.ty, w = (e.bb[2] - e.bb[0]) * k;
        const name = kname(e.code) || e.code;
        if (w < name.length * 8) continue;
        if (fits(x, y, name.length * 7.8 + 8, 18)) h += `<text class="kommun" x="${x.toFixed(1)}" y="${y.toFixed(1)}">${esc(name)}</text>`;
      }
    }
    cands.sort((a, b) => b[0] - a[0]);
    for (const [, i, x, y] of cands.slice(0, 400)) {
      const c = A.code[i];
      if (fits(x, y, c.length * 6.8 + 6, 14)) h += `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}">${esc(c)}</text>`;
    }
    g.innerHTML = h;
  }

  /* pan, zoom, click, hover */
  let drag = null;
  svg.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, tx: S.tx, ty: S.ty, moved: false };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', (e) => {
    if (drag) {
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) > 4) { drag.moved = true; svg.classList.add('dragging'); $('tooltip').hidden = true; }
      if (drag.moved) { S.tx = drag.tx + dx; S.ty = drag.ty + dy; schedule(); }
      return;
    }
    hover(e);
  });
  const endDrag = (e) => {
    if (!drag) return;
    const click = !drag.moved;
    drag = null;
    svg.classList.remove('dragging');
    if (click && e.type === 'pointerup') clickAt(e.clientX, e.clientY);
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  svg.addEventListener('pointerleave', () => { $('tooltip').hidden = true; });
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    const dy = e.deltaMode === 1 ? e.deltaY * 30 : e.deltaY;
    zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-dy * 0.0018));
  }, { passive: false });
  svg.addEventListener('dblclick', (e) => {
    const r = svg.getBoundingClientRect();
    zoomAt(e.clientX - r.left, e.clientY - r.top, 2.2);
  });
  $('zoom-in').addEventListener('click', () => zoomAt(S.W / 2, S.H / 2, 1.8));
  $('zoom-out').addEventListener('click', () => zoomAt(S.W / 2, S.H / 2, 1 / 1.8));
  $('zoom-all').addEventListener('click', fitAll);

  function hitAt(cx, cy) {
    const els = document.elementsFromPoint(cx, cy);
    for (const el of els) {
      if (el.parentNode && el.parentNode.id === 'moved' && $('lyr-moved').checked) return { change: +el.dataset.k };
      if (el.dataset && el.dataset.s) return { side: el.dataset.s, i: +el.dataset.i };
      if (el === svg) break;
    }
    return null;
  }
  function clickAt(cx, cy) {
    const hit = hitAt(cx, cy);
    if (!hit) return;
    if (hit.change !== undefined) selectChange(hit.change, false);
    else select(hit.side, hit.i, false);
  }
  function hover(e) {
    const tip = $('tooltip');
    const el = e.target;
    let html = '';
    if (el.parentNode && el.parentNode.id === 'moved') {
      const r = rows[+el.dataset.k];
      html = `${esc(r.oc || '–')} → ${esc(r.nc || '–')} · ${esc(typeName(r.t))}`;
    } else if (el.dataset && el.dataset.s) {
      const A = D[el.dataset.s], i = +el.dataset.i;
      html = `<b>${esc(A.code[i])}</b> · ${esc(kname(A.kommun[i]) || A.kommun[i])} · ${esc(clsName(A.cls[i]))}`;
    }
    if (!html) { tip.hidden = true; return; }
    const r = mapEl.getBoundingClientRect();
    tip.innerHTML = html;
    tip.hidden = false;
    tip.style.left = Math.min(e.clientX - r.left + 14, r.width - tip.offsetWidth - 4) + 'px';
    tip.style.top = (e.clientY - r.top + 14) + 'px';
  }

  /* layers */
  for (const [id, cls] of [['lyr-old', 'hide-old'], ['lyr-new', 'hide-new'], ['lyr-moved', 'hide-moved'], ['lyr-kommun', 'hide-kommun'], ['lyr-labels', 'hide-labels']])
    $(id).addEventListener('change', (e) => { mapEl.classList.toggle(cls, !e.target.checked); if (id === 'lyr-labels') updateLabels(); });
  for (const r of document.querySelectorAll('input[name=fill]'))
    r.addEventListener('change', (e) => { S.fill = e.target.value; applyFill(); renderLegend(); updateLabels(); });

  function renderLegend() {
    const counts = S.fill === 'new' ? F.clsNew : F.clsOld;
    let h = `<summary class="panel-title">${esc(t('legend_class'))} (${esc(verName(S.fill).toLowerCase())})</summary>`;
    D.classes.forEach((c, ci) => {
      if (!counts[ci]) return;
      h += `<div class="row"><span class="chip" style="background:${colour(ci)}"></span>${esc(clsName(ci))}<span class="n">${fmt(counts[ci], 0)}</span></div>`;
    });
    h += '<hr>';
    h += `<div class="row"><span class="linesym new"></span>${esc(t('lyr_new'))}${YEAR.new ? ' ' + YEAR.new : ''}</div>`;
    h += `<div class="row"><span class="linesym old"></span>${esc(t('lyr_old'))}${YEAR.old ? ' ' + YEAR.old : ''}</div>`;
    h += `<div class="row"><span class="chip moved"></span>${esc(t('lyr_moved'))}</div>`;
    h += `<div class="row"><span class="linesym kommun"></span>${esc(t('kommun_line'))}</div>`;
    $('legend').innerHTML = h;
  }

  /* ---- selection and details ---------------------------------------------------------------- */
  function highlight() {
    let h = '';
    if (S.selKommun && KOM.has(S.selKommun)) h += `<path class="kommun" d="${KOM.get(S.selKommun).d}"></path>`;
    if (S.selChange >= 0) {
      for (const r of changeParts(S.selChange)) h += `<path class="change" d="${r.d}"></path>`;
    }
    if (S.sel) {
      const { side, i } = S.sel, other = side === 'old' ? 'new' : 'old';
      for (const k of D[side].rel[i]) {
        const j = D.rel[k][side === 'old' ? 1 : 0];
        if (j >= 0) h += `<path class="rel" d="${D[other].d[j]}"></path>`;
      }
      h += `<path class="halo" d="${D[side].d[i]}"></path><path class="main" d="${D[side].d[i]}"></path>`;
    }
    $('sel').innerHTML = h;
    for (const p of $('moved').children) p.classList.toggle('hl', S.selChange >= 0 && changeParts(S.selChange).some((r) => r.k === +p.dataset.k));
  }
  /* The drawn X → Y rows a change row stands for (X → X rows are sums of them). */
  function changeParts(k) {
    const r = rows[k];
    if (r.d) return [r];
    if (r.t === SHRINK_TYPE) return rows.filter((x) => x.d && x.o === r.o && x.nc !== r.oc && x.t !== SEA_TYPE);
    if (r.t === GROW_TYPE) return rows.filter((x) => x.d && x.n === r.n && x.oc !== r.nc && x.t !== SEA_TYPE);
    return [];
  }
  function select(side, i, zoom) {
    S.sel = { side, i }; S.selChange = -1; S.selKommun = null;
    if (zoom) zoomToBox(D[side].bb[i], 0.3);
    highlight(); renderDetails(); markRows();
  }
  function selectChange(k, zoom) {
    const r = rows[k];
    S.selChange = k; S.selKommun = null;
    S.sel = r.o >= 0 ? { side: 'old', i: r.o } : { side: 'new', i: r.n };
    if (zoom) zoomToBox(r.bb || D[S.sel.side].bb[S.sel.i], 0.2);
    highlight(); renderDetails(); markRows();
  }
  function selectKommun(k) {
    const e = KOM.get(k);
    if (!e) return;
    S.sel = null; S.selChange = -1; S.selKommun = k;
    zoomToBox(e.bb, 0.04);
    highlight(); renderDetails(); markRows();
  }
  const codeLink = (side, i) => `<button class="code-link" data-s="${side}" data-i="${i}">${esc(D[side].code[i])}</button>`;
  function changeTable(ks) {
    if (!ks.length) return `<p class="hint">${esc(t('no_changes'))}</p>`;
    let h = `<div class="scroll"><table class="data"><thead><tr><th>${esc(t('col_old'))}</th><th>${esc(t('col_new'))}</th><th>${esc(t('col_type'))}</th><th class="num">ha</th><th class="num">${esc(t('pop_short'))}</th></tr></thead><tbody>`;
    for (const k of ks) {
      const r = rows[k];
      h += `<tr data-k="${k}" class="${k === S.selChange ? 'selected' : ''}"><td>${r.o >= 0 ? codeLink('old', r.o) : '–'}</td><td>${r.n >= 0 ? codeLink('new', r.n) : '–'}</td><td>${esc(typeName(r.t))}</td><td class="num">${fmt(r.area / 1e4, 1)}</td><td class="num">${fmtPop(r.pop)}</td></tr>`;
    }
    return h + '</tbody></table></div>';
  }
  function renderDetails() {
    const el = $('details');
    let h = '';
    if (S.selKommun) {
      const e = KOM.get(S.selKommun);
      h += `<span class="ver">${esc(t('kommun'))}</span><h3>${esc(klabel(e.code))}</h3>`;
      h += `<dl><dt>${esc(verName('old'))}</dt><dd>${fmt(e.old.length, 0)} ${esc(t('areas_word'))}</dd><dt>${esc(verName('new'))}</dt><dd>${fmt(e.new.length, 0)} ${esc(t('areas_word'))}</dd></dl>`;
      h += `<h4>${esc(t('changes_of'))}</h4>` + changeTable(e.rows);
    } else if (!S.sel) {
      h += `<h3>${esc(t('nav_summary'))}</h3><p class="hint">${esc(t('hint'))}</p><p class="hint">${esc(t('hint2'))}</p>`;
      h += `<div class="words">${wordsHtml(true)}</div>`;
    } else {
      const { side, i } = S.sel, A = D[side], other = side === 'old' ? 'new' : 'old';
      if (S.selChange >= 0) {
        const r = rows[S.selChange];
        h += `<div class="change-box"><span class="ver">${esc(t('change'))}</span> <b>${esc(r.oc || '–')} → ${esc(r.nc || '–')}</b><br>${esc(typeName(r.t))}<br>${fmtArea(r.area)} · ${fmtPop(r.pop)} ${M.has_pop ? esc(t('col_pop').toLowerCase()) : ''}</div><hr>`;
      }
      h += `<span class="ver ${side}">${esc(verName(side))}</span><h3 id="details-code">${esc(A.code[i])}</h3>`;
      h += `<div>${esc(klabel(A.kommun[i]))}</div>`;
      h += '<dl>';
      h += `<dt>${esc(t('cls'))}</dt><dd><span class="badge"><span class="chip" style="background:${colour(A.cls[i])}"></span>${esc(clsName(A.cls[i]))}</span></dd>`;
      h += `<dt>${esc(t('area'))}</dt><dd>${fmtArea(A.area[i])}</dd>`;
      if (M.has_pop) h += `<dt>${esc(t('pop'))}</dt><dd>${fmtPop(A.pop[i])}</dd>`;
      let movedPop = 0, movedArea = 0;
      const related = [];
      for (const k of A.rel[i]) {
        const r = D.rel[k], j = r[side === 'old' ? 1 : 0];
        if (j < 0) continue;
        related.push(j);
        if (D[other].code[j] !== A.code[i]) { movedPop += r[3] || 0; movedArea += r[2]; }
      }
      h += `<dt>${esc(t('related'))} (${esc(verName(other).toLowerCase())})</dt><dd id="details-related">${related.map((j) => codeLink(other, j)).join(', ') || '–'}</dd>`;
      h += `<dt>${esc(t(side === 'old' ? 'area_out' : 'area_in'))}</dt><dd>${fmtArea(movedArea)}</dd>`;
      if (M.has_pop) h += `<dt>${esc(t(side === 'old' ? 'moved_out' : 'moved_in'))}</dt><dd id="details-moved">${fmtPop(movedPop)}</dd>`;
      h += '</dl>';
      h += `<h4>${esc(t('relations'))}</h4><div class="scroll"><table class="data" id="details-relations"><thead><tr><th>${esc(verName('old'))}</th><th>${esc(verName('new'))}</th><th class="num">ha</th>${M.has_pop ? `<th class="num">${esc(t('pop_short'))}</th>` : ''}<th class="num">w_area_old<br>w_area_new</th>${M.has_pop ? '<th class="num">w_pop_old<br>w_pop_new</th>' : ''}</tr></thead><tbody>`;
      for (const k of A.rel[i]) {
        const r = D.rel[k];
        const oc = r[0] >= 0 ? codeLink('old', r[0]) : `<i>${esc(t('none_old'))}</i>`;
        const nc = r[1] >= 0 ? codeLink('new', r[1]) : `<i>${esc(t('none_new'))}</i>`;
        h += `<tr><td>${oc}</td><td>${nc}</td><td class="num">${fmt(r[2] / 1e4, 1)}</td>${M.has_pop ? `<td class="num">${fmtPop(r[3])}</td>` : ''}<td class="num">${fmtW(r[4])}<br>${fmtW(r[5])}</td>${M.has_pop ? `<td class="num">${fmtW(r[6])}<br>${fmtW(r[7])}</td>` : ''}</tr>`;
      }
      h += `</tbody></table></div><p class="hint" style="font-size:.8em">${esc(t('weights_note'))}</p>`;
      h += `<h4>${esc(t('changes_of'))}</h4>` + changeTable(A.chg[i]);
    }
    el.innerHTML = h;
  }
  $('details').addEventListener('click', (e) => {
    const b = e.target.closest('.code-link');
    if (b) { select(b.dataset.s, +b.dataset.i, true); return; }
    const tr = e.target.closest('tr[data-k]');
    if (tr) selectChange(+tr.dataset.k, true);
  });

  /* ---- search ------------------------------------------------------------------------------ */
  const searchEl = $('search'), resultsEl = $('search-results');
  let results = [], active = 0;
  function searchFor(q) {
    q = q.trim();
    if (!q) return [];
    const qu = q.toUpperCase(), ql = q.toLowerCase(), out = [];
    for (const e of KOMS) {
      const name = kname(e.code).toLowerCase();
      if (e.code.startsWith(q) || (name && name.includes(ql))) out.push({ kind: 'kommun', code: e.code, score: name.startsWith(ql) || e.code === q ? 0 : 2 });
    }
    const seen = new Set();
    for (const side of [S.fill, S.fill === 'new' ? 'old' : 'new']) {
      const A = D[side];
      for (let i = 0; i < A.n && out.length < 400; i++) {
        const c = A.code[i], cu = c.toUpperCase();
        if (seen.has(c) || !cu.includes(qu)) continue;
        seen.add(c);
        out.push({ kind: 'area', side, i, code: c, score: cu === qu ? -1 : cu.startsWith(qu) ? 1 : 3 });
      }
    }
    out.sort((a, b) => a.score - b.score || a.code.localeCompare(b.code));
    return out.slice(0, 15);
  }
  function showResults() {
    if (!results.length) { resultsEl.hidden = true; return; }
    resultsEl.innerHTML = results.map((r, n) => {
      const label = r.kind === 'kommun' ? esc(klabel(r.code)) : esc(r.code) + (D.old.index.has(r.code) && D.new.index.has(r.code) ? '' : ` <span class="kind">${esc(verName(r.side).toLowerCase())}</span>`);
      const kind = r.kind === 'kommun' ? t('search_kommun') : `${t('search_area')} · ${esc(kname(D[r.side].kommun[r.i]))}`;
      return `<li data-n="${n}" class="${n === active ? 'active' : ''}"><span>${label}</span><span class="kind">${kind}</span></li>`;
    }).join('');
    resultsEl.hidden = false;
  }
  function pick(r) {
    resultsEl.hidden = true;
    if (!r) return;
    if (r.kind === 'kommun') { selectKommun(r.code); return; }
    select(r.side, r.i, true);
  }
  searchEl.addEventListener('input', () => { results = searchFor(searchEl.value); active = 0; showResults(); });
  searchEl.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { active = Math.min(active + 1, results.length - 1); showResults(); e.preventDefault(); }
    else if (e.key === 'ArrowUp') { active = Math.max(active - 1, 0); showResults(); e.preventDefault(); }
    else if (e.key === 'Enter') { results = searchFor(searchEl.value); pick(results[active] || results[0]); }
    else if (e.key === 'Escape') resultsEl.hidden = true;
  });
  resultsEl.addEventListener('mousedown', (e) => { const li = e.target.closest('li'); if (li) { e.preventDefault(); pick(results[+li.dataset.n]); } });
  searchEl.addEventListener('blur', () => setTimeout(() => { resultsEl.hidden = true; }, 150));

  /* ---- summary ------------------------------------------------------------------------------ */
  function listWords(parts) {
    const and = S.lang === 'sv' ? ' och ' : ' and ';
    return parts.length <= 1 ? parts.join('') : parts.slice(0, -1).join(', ') + and + parts[parts.length - 1];
  }
  function wordsHtml(short) {
    const f = F, sv = S.lang === 'sv';
    const n = (x) => `<b>${fmt(x, 0)}</b>`;
    const ci = (name) => D.classes.indexOf(name);
    const c = (arr, name) => arr[ci(name)] || 0;
    const vo = YEAR.old ? (sv ? ` (${YEAR.old})` : ` (${YEAR.old})`) : '', vn = YEAR.new ? ` (${YEAR.new})` : '';
    const ps = [];
    ps.push(sv
      ? `Den gamla indelningen${vo} har ${n(f.nOld)} områden och den nya${vn} ${n(f.nNew)}. ${n(c(f.clsOld, 'unchanged'))} av de gamla områdena finns kvar helt oförändrade.`
      : `The old division${vo} has ${n(f.nOld)} areas and the new one${vn} ${n(f.nNew)}. ${n(c(f.clsOld, 'unchanged'))} of the old areas remain entirely unchanged.`);
    const parts = [];
    const phr = sv
      ? { recoded: 'bara fått ny kod', boundary: 'fått en ändrad gräns', split: 'delats', merged: 'slagits samman med andra', complex: 'blivit del av en komplex omfördelning', ceased: 'upphört utan efterföljare' }
      : { recoded: 'only changed code', boundary: 'had a boundary redrawn', split: 'were split', merged: 'were merged', complex: 'are part of a many-to-many redistribution', ceased: 'ceased without successor' };
    for (const k of ['boundary', 'split', 'merged', 'complex', 'recoded', 'ceased']) if (c(f.clsOld, k)) parts.push(`${n(c(f.clsOld, k))} ${phr[k]}`);
    if (parts.length) ps.push((sv ? 'Bland de gamla områdena har ' : 'Of the old areas, ') + listWords(parts) + '.');
    if (c(f.clsNew, 'new')) ps.push(sv ? `${n(c(f.clsNew, 'new'))} områden i den nya indelningen är helt nya.` : `${n(c(f.clsNew, 'new'))} areas of the new division are entirely new.`);
    const tparts = [];
    const [q0, q1] = sv ? ['”', '”'] : ['“', '”'];
    f.types.forEach((ty, ti) => { if (ty.n) tparts.push(`${n(ty.n)} ${q0}${esc(typeName(ti))}${q1}`); });
    ps.push(sv
      ? `SCB:s ändringslista, återskapad ur geometrin, har ${n(rows.length)} rader${KOMS.length > 1 ? ` i ${n(f.kommunerChanged)} av ${n(KOMS.length)} kommuner` : ''}${tparts.length ? ': ' + listWords(tparts) : ''}.`
      : `SCB's change list, regenerated from the geometry, has ${n(rows.length)} rows${KOMS.length > 1 ? ` in ${n(f.kommunerChanged)} of ${n(KOMS.length)} municipalities` : ''}${tparts.length ? ': ' + listWords(tparts) : ''}.`);
    if (M.has_pop) {
      const share = f.popOld > 0 ? fmt((100 * f.movedPop) / f.popOld, 2) : '–';
      ps.push(sv
        ? `Omkring ${n(f.movedPop)} invånare (${share} % av ${fmt(f.popOld, 0)}) bor i delar som byter område, på sammanlagt ${fmtArea(f.movedArea)}${f.recodedPop ? `; ytterligare ${n(f.recodedPop)} bor i områden som bara fått ny kod` : ''}.`
        : `About ${n(f.movedPop)} residents (${share} % of ${fmt(f.popOld, 0)}) live in parts that change area, ${fmtArea(f.movedArea)} in all${f.recodedPop ? `; another ${n(f.recodedPop)} live in areas that only changed code` : ''}.`);
    } else {
      ps.push(sv ? `Flyttad yta: ${fmtArea(f.movedArea)} (ingen befolkningskälla angavs).` : `Moved area: ${fmtArea(f.movedArea)} (no population source was given).`);
    }
    if (f.seaArea > 0) ps.push(sv ? `${fmtArea(f.seaArea)} som inget gammalt område täckte (t.ex. hav) har lagts till.` : `${fmtArea(f.seaArea)} that no old area covered (e.g. sea) was added.`);
    if (!short) {
      const p = M.params;
      ps.push(sv
        ? `Bitar under ${fmt(p.min_area_m2, 0)} m², under ${fmt(100 * p.min_share, 1)} % av sitt område eller smalare än ${fmt(p.min_width_m, 0)} m räknas som omritade gränser, inte som flyttar; deras yta och befolkning följer områdets huvudrelation. Nyckeln har ${n(M.relations)} relationer och ${n(M.units)} jämförbara enheter.`
        : `Pieces under ${fmt(p.min_area_m2, 0)} m², under ${fmt(100 * p.min_share, 1)} % of their area or thinner than ${fmt(p.min_width_m, 0)} m count as redrawn boundaries, not as moves; their area and population follow the area's main relation. The key has ${n(M.relations)} relations and ${n(M.units)} comparable units.`);
    }
    return ps.map((p) => `<p>${p}</p>`).join('');
  }
  function renderSummary() {
    $('summary-words').innerHTML = wordsHtml(false);
    let h = `<h3>${esc(t('sum_classes'))}</h3><table class="data" id="class-table"><thead><tr><th>${esc(t('cls'))}</th><th class="num">${esc(verName('old'))}</th><th class="num">${esc(verName('new'))}</th></tr></thead><tbody>`;
    D.classes.forEach((c, ci) => {
      h += `<tr data-class="${esc(c)}"><td><span class="badge"><span class="chip" style="background:${colour(ci)}"></span>${esc(clsName(ci))}</span></td><td class="num">${fmt(F.clsOld[ci], 0)}</td><td class="num">${fmt(F.clsNew[ci], 0)}</td></tr>`;
    });
    h += `<tr><td><b>Σ</b></td><td class="num"><b>${fmt(F.nOld, 0)}</b></td><td class="num"><b>${fmt(F.nNew, 0)}</b></td></tr></tbody></table>`;
    $('summary-classes').innerHTML = h;
    h = `<h3>${esc(t('sum_types'))}</h3><table class="data" id="type-table"><thead><tr><th>${esc(t('type'))}</th><th class="num">${esc(t('count'))}</th><th class="num">ha</th><th class="num">${esc(t('col_pop'))}</th></tr></thead><tbody>`;
    F.types.forEach((ty, ti) => {
      h += `<tr data-type="${ti}"><td>${esc(typeName(ti))}</td><td class="num">${fmt(ty.n, 0)}</td><td class="num">${fmt(ty.area / 1e4, 1)}</td><td class="num">${fmtPop(ty.pop)}</td></tr>`;
    });
    h += `<tr><td><b>Σ</b></td><td class="num"><b>${fmt(rows.length, 0)}</b></td><td></td><td></td></tr></tbody></table>`;
    $('summary-types').innerHTML = h;
    h = `<h3>${esc(t('fig'))}</h3><table class="data"><tbody>`;
    h += `<tr><td>${esc(t('fig_pieces'))}</td><td class="num">${fmt(M.pieces, 0)}</td></tr>`;
    h += `<tr><td>${esc(t('fig_rel'))}</td><td class="num">${fmt(M.relations, 0)}</td></tr>`;
    h += `<tr><td>${esc(t('fig_units'))}</td><td class="num">${fmt(M.units, 0)}</td></tr>`;
    if (M.has_pop) {
      h += `<tr><td>${esc(t('fig_pop'))}</td><td class="num">${fmt(M.pop_source, 0)}</td></tr>`;
      h += `<tr><td>${esc(t('fig_moved_pop'))}</td><td class="num">${fmt(F.movedPop, 0)}</td></tr>`;
    }
    h += `<tr><td>${esc(t('fig_moved_area'))}</td><td class="num">${fmtArea(F.movedArea)}</td></tr>`;
    $('summary-figures').innerHTML = h + '</tbody></table>';
  }

  /* ---- table of changes ---------------------------------------------------------------------- */
  const tbody = document.querySelector('#changes-table tbody');
  function renderTypeFilter() {
    const sel = $('filter-type'), v = sel.value;
    let h = `<option value="">${esc(t('all_types'))}</option>`;
    F.types.forEach((ty, ti) => { if (ty.n) h += `<option value="${ti}">${esc(typeName(ti))} (${ty.n})</option>`; });
    sel.innerHTML = h;
    sel.value = v;
  }
  function sortedRows() {
    const type = $('filter-type').value, q = $('filter-text').value.trim().toLowerCase();
    let list = rows.filter((r) => (type === '' || r.t === +type) &&
      (!q || r.oc.toLowerCase().includes(q) || r.nc.toLowerCase().includes(q) || r.kommun.startsWith(q) || kname(r.kommun).toLowerCase().includes(q)));
    const { col, dir } = S.sort;
    const key = { old: (r) => r.oc, new: (r) => r.nc, type: (r) => typeName(r.t), kommun: (r) => kname(r.kommun) || r.kommun, area: (r) => r.area, pop: (r) => r.pop }[col];
    list = list.slice().sort((a, b) => {
      const x = key(a), y = key(b);
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y), 'sv');
      return c * dir || a.k - b.k;
    });
    return list;
  }
  function renderTable() {
    const list = sortedRows();
    tbody.innerHTML = list.map((r) => `<tr data-k="${r.k}" data-type="${r.t}"><td>${esc(r.oc || '–')}</td><td>${esc(r.nc || '–')}</td><td title="${esc(D.types[r.t])}">${esc(typeName(r.t))}</td><td>${esc(kname(r.kommun) || r.kommun)}</td><td class="num">${fmt(r.area / 1e4, 1)}</td><td class="num">${fmtPop(r.pop)}</td></tr>`).join('');
    $('filter-count').textContent = t('rows_shown')(list.length, rows.length);
    for (const th of document.querySelectorAll('#changes-table th')) {
      th.classList.toggle('sorted', th.dataset.col === S.sort.col);
      th.classList.toggle('desc', th.dataset.col === S.sort.col && S.sort.dir < 0);
    }
    markRows();
  }
  function markRows() { for (const tr of tbody.children) tr.classList.toggle('selected', +tr.dataset.k === S.selChange); }
  for (const th of document.querySelectorAll('#changes-table th'))
    th.addEventListener('click', () => {
      const col = th.dataset.col;
      S.sort = { col, dir: S.sort.col === col ? -S.sort.dir : col === 'area' || col === 'pop' ? -1 : 1 };
      renderTable();
    });
  $('filter-type').addEventListener('change', renderTable);
  $('filter-text').addEventListener('input', renderTable);
  tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    selectChange(+tr.dataset.k, true);
    $('map-section').scrollIntoView({ behavior: 'smooth' });
  });

  /* ---- municipality report (small multiples) --------------------------------------------------- */
  function cardSvg(e) {
    const b = e.bb;
    if (!b) return '';
    const pad = Math.max(b[2] - b[0], b[3] - b[1]) * 0.04;
    let h = `<svg viewBox="${b[0] - pad} ${b[1] - pad} ${b[2] - b[0] + 2 * pad} ${b[3] - b[1] + 2 * pad}" preserveAspectRatio="xMidYMid meet">`;
    for (const i of e.new) h += `<path class="a" fill="${colour(D.new.cls[i])}" d="${D.new.d[i]}"></path>`;
    for (const i of e.new) h += `<path class="n" d="${D.new.d[i]}"></path>`;
    for (const i of e.old) if (D.old.cls[i] !== D.classes.indexOf('unchanged')) h += `<path class="o" d="${D.old.d[i]}"></path>`;
    for (const k of e.rows) if (rows[k].d) h += `<path class="m" d="${rows[k].d}"></path>`;
    if (e.d) h += `<path class="k" d="${e.d}"></path>`;
    return h + '</svg>';
  }
  let observer = null;
  function renderReport() {
    const only = $('only-changed').checked;
    const lazy = KOMS.length > 40 && 'IntersectionObserver' in window;
    let h = '';
    for (const e of KOMS) {
      if (only && !e.rows.length) continue;
      const cls = {};
      for (const i of e.new) if (D.new.cls[i] !== D.classes.indexOf('unchanged')) cls[D.new.cls[i]] = (cls[D.new.cls[i]] || 0) + 1;
      for (const i of e.old) if (D.old.cls[i] === D.classes.indexOf('ceased')) cls[D.old.cls[i]] = (cls[D.old.cls[i]] || 0) + 1;
      let mp = 0;
      for (const k of e.rows) if (MOVE_TYPES.has(rows[k].t)) mp += rows[k].pop || 0;
      const chips = Object.keys(cls).map((c) => `<span class="badge"><span class="chip" style="background:${colour(+c)}"></span>${cls[c]} ${esc(clsName(+c))}</span>`).join('');
      h += `<div class="card${e.rows.length ? '' : ' quiet'}" data-k="${esc(e.code)}"><h3>${esc(kname(e.code) || e.code)} <span>${esc(e.code)}</span></h3>`;
      h += lazy ? '<svg class="lazy"></svg>' : cardSvg(e);
      h += `<p>${fmt(e.old.length, 0)} → ${fmt(e.new.length, 0)} ${esc(t('areas_word'))} · ${e.rows.length ? `${fmt(e.rows.length, 0)} ${esc(t('rows_word'))}` : esc(t('no_change_k'))}${M.has_pop && e.rows.length ? ` · ${fmt(mp, 0)} ${esc(t('moved_word'))}` : ''}</p>`;
      h += `<div class="chips">${chips}</div></div>`;
    }
    $('multiples').innerHTML = h;
    if (observer) observer.disconnect();
    if (lazy) {
      observer = new IntersectionObserver((entries) => {
        for (const en of entries) {
          if (!en.isIntersecting) continue;
          const card = en.target, s = card.querySelector('svg.lazy');
          if (s) s.outerHTML = cardSvg(KOM.get(card.dataset.k));
          observer.unobserve(card);
        }
      }, { rootMargin: '300px' });
      for (const c of $('multiples').children) observer.observe(c);
    }
  }
  $('multiples').addEventListener('click', (e) => {
    const card = e.target.closest('.card');
    if (!card) return;
    selectKommun(card.dataset.k);
    $('map-section').scrollIntoView({ behavior: 'smooth' });
  });
  $('only-changed').addEventListener('change', renderReport);

  /* ---- language ------------------------------------------------------------------------------ */
  function renderTexts() {
    document.documentElement.lang = S.lang;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-ph]')) el.placeholder = t(el.dataset.i18nPh);
    for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
    $('lang').textContent = t('lang');
    $('subtitle').textContent = `${D.old.path} → ${D.new.path}`;
    document.title = `regrev – ${t('title')}`;
    $('footer').innerHTML = t('footer')(F);
  }
  function renderAll() {
    renderTexts(); renderLegend(); renderDetails(); renderSummary(); renderTypeFilter(); renderTable(); renderReport(); updateScale();
  }
  $('lang').addEventListener('click', () => { S.lang = S.lang === 'sv' ? 'en' : 'sv'; renderAll(); });

  /* ---- start --------------------------------------------------------------------------------- */
  buildMap();
  renderAll();
  if ('ResizeObserver' in window) new ResizeObserver(resize).observe(svg);
  resize();
  /* A small handle for scripts and the browser test; not needed by the page itself. */
  window.regrev = {
    ready: true,
    select: (side, c) => { const i = D[side].index.get(c); if (i !== undefined) select(side, i, true); return i !== undefined; },
    selectChange: (k) => selectChange(k, true),
    zoomToBox,
    zoomToChanges: (kommuner) => {
      let bb = null;
      for (const r of rows) {
        const b = r.bb;
        if (!b || (kommuner && kommuner.length && !kommuner.includes(r.kommun))) continue;
        bb = bb ? [Math.min(bb[0], b[0]), Math.min(bb[1], b[1]), Math.max(bb[2], b[2]), Math.max(bb[3], b[3])] : b.slice();
      }
      zoomToBox(bb, 0.08);
      return !!bb;
    },
    zoomToCodes: (codes) => {
      let bb = null;
      for (const side of SIDES) for (const c of codes) {
        const i = D[side].index.get(c), b = i === undefined ? null : D[side].bb[i];
        if (b) bb = bb ? [Math.min(bb[0], b[0]), Math.min(bb[1], b[1]), Math.max(bb[2], b[2]), Math.max(bb[3], b[3])] : b.slice();
      }
      zoomToBox(bb, 0.06);
    },
    screenPoint: (side, c) => {
      const i = D[side].index.get(c);
      if (i === undefined || !D[side].lp[i]) return null;
      const r = svg.getBoundingClientRect();
      return { x: r.left + D[side].lp[i][0] * S.k + S.tx, y: r.top + D[side].lp[i][1] * S.k + S.ty };
    },
    changes: () => rows.map((r) => ({ old: r.oc, new: r.nc, type: D.types[r.t], kommun: r.kommun, pop: r.pop, area: r.area, drawn: !!r.d })),
    state: S,
  };
})();
