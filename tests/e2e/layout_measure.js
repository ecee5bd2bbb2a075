// One call measures everything the whole-app layout test checks on the view in front of it (issue 20).
// Returns {problems: [{element, what}], counts: {...}}; an element is named so a failure says where to look.
// Only drawn elements count: a hidden tab or a closed expander has no box.
(projector) => {
  const box = e => { const r = e.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; };
  const drawn = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const overlap = (a, b, m = 1) => Math.min(a.r, b.r) - Math.max(a.l, b.l) > m && Math.min(a.b, b.b) - Math.max(a.t, b.t) > m;
  const short = s => (s || '').replace(/\s+/g, ' ').trim().slice(0, 60);
  const problems = [];
  const add = (element, what) => problems.push({element, what});
  const main = document.querySelector('[data-testid=stMainBlockContainer]');
  const style = getComputedStyle(main);
  const colL = box(main).l + parseFloat(style.paddingLeft), colR = box(main).r - parseFloat(style.paddingRight);
  const right = Math.min(colR, window.innerWidth);

  // A block that scrolls sideways and fits the window makes a wide figure fine.
  const scroller = e => {
    for (let p = e.parentElement; p && p !== main; p = p.parentElement) {
      const s = getComputedStyle(p).overflowX;
      if ((s === 'auto' || s === 'scroll') && p.scrollWidth > p.clientWidth + 1) return p;
    }
    return null;
  };
  const pastColumn = (e, name) => {
    const b = box(e);
    if (b.r <= right + 1 && b.l >= colL - 1) return;
    const s = scroller(e);
    if (s && box(s).r <= right + 1 && box(s).l >= colL - 1) return;
    add(name, `reaches ${Math.round(Math.max(b.r - right, colL - b.l))} px past the main column`);
  };

  // Corners of an SVG text's box on screen (rotated labels are rotated boxes, not their bounding rectangles).
  const corners = t => {
    const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  // Separating axes: two convex quadrilaterals collide unless one axis separates them (by more than -1 px).
  const collide = (p, q) => {
    for (const poly of [p, q]) for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
      const len = Math.hypot(x2 - x1, y2 - y1) || 1, nx = (y1 - y2) / len, ny = (x2 - x1) / len;
      const proj = poly2 => poly2.map(([x, y]) => x * nx + y * ny);
      const a = proj(p), b = proj(q);
      if (Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b)) <= 1) return false;
    }
    return true;
  };
  const number = text => {
    const t = text.replace(/−/g, '-').replace(/[\u200b,]/g, '').trim();
    const si = {'µ': 1e-6, 'μ': 1e-6, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'n': 1e-9, 'p': 1e-12};
    const m = t.match(/^(-?[\d.]+(?:e[+-]?\d+)?)([µμmkMGTnp]?)$/);
    return m ? parseFloat(m[1]) * (si[m[2]] || 1) : null;
  };
  const tickValue = raw => {  // 10<sup>−3</sup> is a power; anything else must read as a plain number
    const sup = String(raw).match(/^10<sup>(.+)<\/sup>$/);
    return sup ? Math.pow(10, +sup[1].replace(/−/g, '-')) : number(String(raw).replace(/<[^>]+>/g, ''));
  };

  let ticks = 0, charts = 0;
  [...document.querySelectorAll('[data-testid=stPlotlyChart]')].filter(drawn).forEach((chart, index) => {
    charts++;
    const svg = chart.querySelector('.main-svg');
    const titleEl = chart.querySelector('.g-gtitle .gtitle');
    const name = `Plotly chart ${index + 1}` + (titleEl ? ` "${short(titleEl.textContent)}"` : '');
    pastColumn(svg, name);
    const svgBox = box(svg);
    const mainTitles = [...chart.querySelectorAll('.gtitle')].filter(drawn);
    for (const t of mainTitles) {
      const b = box(t);
      if (b.l < svgBox.l - 1 || b.r > svgBox.r + 1 || b.t < svgBox.t - 1 || b.b > svgBox.b + 1)
        add(name, `title "${short(t.textContent)}" runs out of its chart`);
    }
    const legend = chart.querySelector('.legend');
    if (legend && drawn(legend)) for (const t of mainTitles)
      if (overlap(box(legend), box(t))) add(name, `legend is drawn over the title "${short(t.textContent)}"`);
    const modebar = chart.querySelector('.modebar');
    if (modebar && drawn(modebar)) for (const t of mainTitles)
      if (overlap(box(modebar), box(t))) add(name, `the modebar covers the title "${short(t.textContent)}"`);
    // tick labels: neighbours on one axis must not collide, and none is under 14 px
    const groups = [...chart.querySelectorAll('.xaxislayer-above, .yaxislayer-above')];
    const sliders = [...chart.querySelectorAll('.slider-group')];
    for (const g of [...groups, ...sliders]) {
      const labels = [...g.querySelectorAll('.xtick text, .ytick text, .slider-label')]
        .filter(t => t.textContent.trim() && drawn(t) && getComputedStyle(t).opacity !== '0');
      ticks += labels.length;
      const axis = g.classList.contains('slider-group') ? 'slider' : (g.classList.contains('xaxislayer-above') ? 'x' : 'y');
      for (const t of labels) {
        const size = parseFloat(getComputedStyle(t).fontSize);
        if (size < 13.5) { add(name, `${axis} tick label "${short(t.textContent)}" is ${size} px (under 14)`); break; }
      }
      const polys = labels.map(corners);
      const order = labels.map((t, i) => i).sort((a, b) => {
        const ca = polys[a][0], cb = polys[b][0];
        return axis === 'y' ? ca[1] - cb[1] : ca[0] - cb[0];
      });
      for (let k = 1; k < order.length; k++) {
        const a = order[k - 1], b = order[k];
        if (collide(polys[a], polys[b])) {
          add(name, `${axis} tick labels "${short(labels[a].textContent)}" and "${short(labels[b].textContent)}" collide`);
          break;
        }
      }
    }
    // log axes: span no more decades than the data; every label reads the value it stands for
    const gd = chart.querySelector('.js-plotly-plot');
    const full = gd && gd._fullLayout;
    if (full) for (const key of Object.keys(full).filter(k => /^[xy]axis\d*$/.test(k))) {
      const ax = full[key];
      if (ax.type !== 'log' || !ax.range) continue;
      const id = ax._id, letter = id[0];
      let low = Infinity, high = -Infinity;
      for (const trace of gd._fullData) {
        if ((trace[letter + 'axis'] || letter) !== id || trace.visible === false) continue;
        for (const v of (trace[letter] || [])) if (v > 0 && isFinite(v)) { low = Math.min(low, v); high = Math.max(high, v); }
      }
      if (high > 0) {
        const span = ax.range[1] - ax.range[0], data = Math.log10(high / low);
        if (Math.abs(span) > Math.ceil(Math.max(data, 1)) + 2.01)  // up to a decade of room each side
          add(name, `log axis ${id} spans ${Math.abs(span).toFixed(1)} decades for data of ${data.toFixed(1)}`);
      }
      for (const v of ax._vals || []) {
        const shown = tickValue(v.text || '');
        const value = Math.pow(10, v.x);
        if (shown !== null && Math.abs(shown - value) > 0.02 * value) {
          add(name, `log axis ${id} labels ${short(String(v.text))} at ${value.toPrecision(3)}`);
          break;
        }
      }
    }
  });
  [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].filter(drawn).forEach((chart, index) => {
    charts++;
    const drawnPart = chart.querySelector('canvas, svg');
    if (drawnPart) pastColumn(drawnPart, `Vega-Lite chart ${index + 1}`);
  });

  // text cut in its box
  const cut = e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible';
  const checks = [
    ['[data-testid=stMetricLabel] *, [data-testid=stMetricValue] *, [data-testid=stMetricValue]', 'metric'],
    ['[data-testid=stWidgetLabel] p, [data-testid=stWidgetLabel] div', 'widget label'],
    ['[data-testid=stTable] td, [data-testid=stTable] th, [data-testid=stMarkdownContainer] td, [data-testid=stMarkdownContainer] th', 'table cell'],
    ['[data-testid=stCode] pre, [data-testid=stCode] code', 'code'],
    ['.katex-display, [data-testid=stMarkdownContainer] .katex', 'equation'],
  ];
  for (const [selector, kind] of checks)
    for (const e of main.querySelectorAll(selector))
      if (drawn(e) && (cut(e) || (kind === 'equation' && e.parentElement && cut(e.parentElement))))
        add(`${kind} "${short(e.textContent)}"`, `text is cut (${e.scrollWidth} px of text in ${e.clientWidth} px)`);
  for (const e of main.querySelectorAll('*'))
    if (drawn(e) && e.children.length === 0 && getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
      add(`text "${short(e.textContent)}"`, 'is truncated with an ellipsis');
  // Text a component clips without an ellipsis of its own: a button's label ("Res" for Resume), a selectbox's
  // value ("cross-attention (decoc"). The text's own extent is measured against the nearest box that clips it.
  const clipper = e => {
    for (let p = e; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== 'visible' || s.textOverflow === 'ellipsis') return p;
    }
    return null;
  };
  const ownText = e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  for (const [selector, kind] of [['[data-testid^=stBaseButton] *', 'button label'],
                                  ['[data-baseweb=select] *', 'selectbox value']])
    for (const e of main.querySelectorAll(selector)) {
      if (!drawn(e) || !ownText(e)) continue;
      const range = document.createRange();
      range.selectNodeContents(e);
      const text = range.getBoundingClientRect(), clip = clipper(e);
      if (clip && (text.right > box(clip).r + 1 || text.left < box(clip).l - 1))
        add(`${kind} "${short(e.textContent)}"`, `text is cut (${Math.round(text.width)} px of text in ${Math.round(box(clip).r - box(clip).l)} px)`);
    }
  // Plotly annotations (notes, captions in a figure) inside their figure
  [...document.querySelectorAll('[data-testid=stPlotlyChart]')].filter(drawn).forEach((chart, index) => {
    const svg = chart.querySelector('.main-svg');
    if (!svg) return;
    const frame = box(svg);
    const notes = [...chart.querySelectorAll('.annotation-text')].filter(a => drawn(a) && a.textContent.trim());
    notes.forEach((a, i) => {
      const b = box(a);
      if (b.l < frame.l - 1 || b.r > frame.r + 1 || b.t < frame.t - 1 || b.b > frame.b + 1)
        add(`plotly chart ${index + 1} note "${short(a.textContent)}"`, 'runs out of its figure');
      for (const other of notes.slice(i + 1))  // two notes printed over each other ("heahd0ad 1")
        if (overlap(b, box(other), 2))
          add(`plotly chart ${index + 1} notes "${short(a.textContent)}" and "${short(other.textContent)}"`, 'collide');
    });
    for (const entry of chart.querySelectorAll('.legendtext'))  // a horizontal legend entry never wraps
      if (drawn(entry) && box(entry).r > frame.r + 1)
        add(`plotly chart ${index + 1} legend entry "${short(entry.textContent)}"`, 'runs out of its figure');
  });
  for (const e of main.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller'))
    if (drawn(e) && e.scrollWidth > e.clientWidth + 2)
      add('table (st.dataframe)', `columns cut: ${e.scrollWidth} px of columns in ${e.clientWidth} px`);
  for (const e of main.querySelectorAll('[data-testid=stTable], [data-testid=stMarkdownContainer] table'))
    if (drawn(e)) pastColumn(e, 'table');

  // captions: dark enough everywhere (WCAG 4.5:1) and bigger in projector mode
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = e => {
    for (let p = e; p; p = p.parentElement) {
      const c = rgb(getComputedStyle(p).backgroundColor);
      if (c.length >= 3 && (c.length === 3 || c[3] > 0.9)) return c;
    }
    return [255, 255, 255];
  };
  let captions = 0;
  for (const e of main.querySelectorAll('[data-testid=stCaptionContainer]')) {
    if (!drawn(e)) continue;
    captions++;
    const s = getComputedStyle(e), fg = rgb(s.color), bg = background(e);
    const alpha = fg.length > 3 ? fg[3] : 1;
    const mixed = fg.slice(0, 3).map((v, i) => v * alpha + bg[i] * (1 - alpha));
    const [hi, lo] = [lum(mixed), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) add(`caption "${short(e.textContent)}"`, `contrast ${ratio.toFixed(2)}:1 (under 4.5)`);
    if (projector && parseFloat(s.fontSize) < 18) add(`caption "${short(e.textContent)}"`, `${s.fontSize} in projector mode (under 18 px)`);
  }
  // a metric's value is what the room reads first: never smaller than its own label (projector CSS once shrank it)
  for (const e of main.querySelectorAll('[data-testid=stMetric]')) {
    const value = e.querySelector('[data-testid=stMetricValue] p, [data-testid=stMetricValue]');
    const label = e.querySelector('[data-testid=stMetricLabel] p, [data-testid=stMetricLabel]');
    if (!drawn(e) || !value || !label) continue;
    const [v, l] = [value, label].map(x => parseFloat(getComputedStyle(x).fontSize));
    if (v < l) add(`metric "${short(label.textContent)}"`, `value at ${v} px, smaller than its label (${l} px)`);
  }
  return {problems, counts: {charts, ticks, captions}, pageWidth: document.documentElement.scrollWidth,
          viewport: window.innerWidth};
}
