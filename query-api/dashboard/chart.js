// The events-per-minute chart: stacked bars per minute and type, drawn as SVG through the DOM.
import { typeClass } from './events.js';

const SVG = 'http://www.w3.org/2000/svg';
const MINUTE = 60_000;

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function hhmm(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
}

/** 1, 2, 5, 10, 20, 50, …: the smallest such number at or above n. */
function niceCeil(n) {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** eventTypes(): the domain's event types (config.json), the order of the stacks and the legend. */
export function createRatesChart(container, legend, eventTypes = () => []) {
  /** Buckets as [{ at: ms, counts: {type: n} }], oldest first. */
  let buckets = [];
  let types = [];
  let scheduled = false;

  function orderedTypes() {
    const catalogue = eventTypes();
    const known = catalogue.filter((t) => types.includes(t));
    return [...known, ...types.filter((t) => !catalogue.includes(t)).sort()];
  }

  function render() {
    scheduled = false;
    const width = Math.max(280, Math.floor(container.clientWidth || 480));
    const height = Math.max(140, Math.floor(container.clientHeight || 180));
    const m = { top: 10, right: 8, bottom: 30, left: 40 };
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    const order = orderedTypes();
    const totals = buckets.map((b) => Object.values(b.counts).reduce((a, n) => a + n, 0));
    const max = niceCeil(Math.max(0, ...totals));
    const all = totals.reduce((a, n) => a + n, 0);

    const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc', class: 'chart-svg' });
    svg.append(el('title', { id: 'chart-title' }, 'Events per minute, stacked by type'));
    const last = buckets.at(-1);
    svg.append(
      el(
        'desc',
        { id: 'chart-desc' },
        buckets.length
          ? `${all} events between ${hhmm(buckets[0].at)} and ${hhmm(buckets.at(-1).at + MINUTE)}; this minute so far: ${totals.at(-1)}${
              last && totals.at(-1) ? ` (${order.filter((t) => last.counts[t]).map((t) => `${t} ${last.counts[t]}`).join(', ')})` : ''
            }.`
          : 'No data yet.',
      ),
    );

    // Grid and the y axis: 0, half, max.
    const yAxis = el('g', { class: 'axis y-axis' });
    for (const v of [0, max / 2, max]) {
      const y = m.top + plotH - (v / max) * plotH;
      yAxis.append(el('line', { x1: m.left, x2: m.left + plotW, y1: y, y2: y, class: v === 0 ? 'baseline' : 'gridline' }));
      yAxis.append(el('text', { x: m.left - 6, y: y + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? String(v) : v.toFixed(1)));
    }
    yAxis.append(el('text', { x: 12, y: m.top + plotH / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${m.top + plotH / 2})`, class: 'axis-title' }, 'events / min'));
    svg.append(yAxis);

    // Bars.
    const n = Math.max(buckets.length, 1);
    const slot = plotW / n;
    const barW = Math.max(1, slot - (slot > 4 ? 1.5 : 0.5));
    const bars = el('g', { class: 'bars' });
    buckets.forEach((b, i) => {
      const group = el('g', { class: 'bar' });
      const parts = order.filter((t) => b.counts[t]).map((t) => `${t} ${b.counts[t]}`);
      group.append(el('title', {}, `${hhmm(b.at)}: ${totals[i]} event${totals[i] === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}`));
      let y = m.top + plotH;
      const x = m.left + i * slot + (slot - barW) / 2;
      for (const t of order) {
        const c = b.counts[t];
        if (!c) continue;
        const h = (c / max) * plotH;
        y -= h;
        group.append(el('rect', { x: x.toFixed(2), y: y.toFixed(2), width: barW.toFixed(2), height: Math.max(h, 0.5).toFixed(2), class: `seg ${typeClass(t)}` }));
      }
      // An invisible full-height target, so the tooltip works on short bars too.
      group.append(el('rect', { x: (m.left + i * slot).toFixed(2), y: m.top, width: slot.toFixed(2), height: plotH, class: 'hit' }));
      bars.append(group);
    });
    svg.append(bars);

    // The x axis: a label every 10 minutes (and 'now' at the right end).
    const xAxis = el('g', { class: 'axis x-axis' });
    buckets.forEach((b, i) => {
      const x = m.left + i * slot + slot / 2;
      if (new Date(b.at).getMinutes() % 10 !== 0 || x > m.left + plotW - 40) return; // not over 'now'
      xAxis.append(el('line', { x1: x, x2: x, y1: m.top + plotH, y2: m.top + plotH + 4, class: 'tick' }));
      xAxis.append(el('text', { x, y: m.top + plotH + 16, 'text-anchor': 'middle' }, hhmm(b.at)));
    });
    if (buckets.length) xAxis.append(el('text', { x: m.left + plotW, y: m.top + plotH + 16, 'text-anchor': 'end' }, 'now'));
    xAxis.append(el('text', { x: m.left + plotW / 2, y: height - 2, 'text-anchor': 'middle', class: 'axis-title' }, 'minute (local time)'));
    svg.append(xAxis);
    if (!all) svg.append(el('text', { x: m.left + plotW / 2, y: m.top + plotH / 2, 'text-anchor': 'middle', class: 'empty-note' }, 'no events in this hour'));

    container.replaceChildren(svg);

    // Legend: colour, name and the hour's total (so it reads without colour too).
    const items = order.map((t) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = `swatch ${typeClass(t)}`;
      swatch.setAttribute('aria-hidden', 'true');
      const total = buckets.reduce((a, b) => a + (b.counts[t] ?? 0), 0);
      li.append(swatch, document.createTextNode(`${t} ${total}`));
      li.dataset.type = t;
      return li;
    });
    legend.replaceChildren(...items);
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(render);
  }

  new ResizeObserver(schedule).observe(container);

  return {
    /** The answer of GET /v1/admin/event-rates. */
    setData(rates) {
      buckets = (rates.buckets ?? []).map((b) => ({ at: Date.parse(b.minute), counts: { ...b.counts } }));
      types = [...new Set([...(rates.types ?? []), ...buckets.flatMap((b) => Object.keys(b.counts))])];
      schedule();
    },
    /** Counts one event seen live into its minute (a new minute pushes the oldest out). */
    bump(event) {
      if (!buckets.length) return;
      const at = Math.floor(Date.parse(event.occurredAt) / MINUTE) * MINUTE;
      if (Number.isNaN(at) || at < buckets[0].at) return;
      while (buckets.at(-1).at < at) {
        buckets.push({ at: buckets.at(-1).at + MINUTE, counts: {} });
        buckets.shift();
      }
      const bucket = buckets.find((b) => b.at === at);
      if (!bucket) return;
      bucket.counts[event.type] = (bucket.counts[event.type] ?? 0) + 1;
      if (!types.includes(event.type)) types.push(event.type);
      schedule();
    },
  };
}
