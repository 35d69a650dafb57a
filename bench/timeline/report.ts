import { mkdirSync, writeFileSync } from 'node:fs';
import { writeGeneratedBlock } from '../doc-block.ts';
import { join } from 'node:path';
import type { DeliveryLagResult } from './measure-delivery-lag.ts';
import type { FanoutResult } from './measure-fanout.ts';
import type { PostLatencyResult } from './measure-post-latency.ts';
import type { ReadResult } from './measure-reads.ts';
import { round } from './stats.ts';

/**
 * The results: one row per measured figure, next to its baseline and the ratio, with PASS/MISS
 * where the issue sets a target. Printed as a table, written as JSON (bench/results/) and as the
 * generated part of docs/performance.md.
 */

export interface Row {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: 'PASS' | 'MISS' | '';
  /** Which implementation the figure is of (real hybrid timeline or a stand-in). */
  path: string;
}

export interface Results {
  meta: Record<string, unknown>;
  postLatency?: PostLatencyResult;
  fanout?: FanoutResult;
  reads?: ReadResult[];
  deliveryLag?: DeliveryLagResult;
  rows: Row[];
}

const ms = (x: number) => `${round(x, x < 10 ? 2 : 1)} ms`;
const x = (r: number) => `${round(r, 2)}×`;
const rate = (r: number) => `${Math.round(r).toLocaleString('en-US')}/s`;
const verdict = (ok: boolean): 'PASS' | 'MISS' => (ok ? 'PASS' : 'MISS');

export interface Paths {
  posts: string;
  fanout: string;
  reads: string;
  delivery: string;
}

export function buildRows(r: Omit<Results, 'rows'>, followers: { ordinary: number; celebrity: number }, paths: Paths): Row[] {
  const rows: Row[] = [];
  const p = r.postLatency;
  if (p) {
    const base = `${ms(p.baseline.p50)} / ${ms(p.baseline.p99)} (express POST route)`;
    rows.push({
      measure: `1. post latency p50/p99, ordinary author (${followers.ordinary.toLocaleString('en-US')} followers)`,
      value: `${ms(p.ordinary.p50)} / ${ms(p.ordinary.p99)}`,
      baseline: base,
      ratio: `${x(p.ordinary.p50 / p.baseline.p50)} / ${x(p.ordinary.p99 / p.baseline.p99)}`,
      target: '',
      verdict: '',
      path: paths.posts,
    });
    const p50 = p.celebrity.p50 / p.ordinary.p50;
    rows.push({
      measure: `1. post latency p50/p99, celebrity (${followers.celebrity.toLocaleString('en-US')} followers)`,
      value: `${ms(p.celebrity.p50)} / ${ms(p.celebrity.p99)}`,
      baseline: `ordinary ${ms(p.ordinary.p50)} / ${ms(p.ordinary.p99)}`,
      ratio: `${x(p50)} / ${x(p.celebrity.p99 / p.ordinary.p99)}`,
      target: 'p50 ≤ 1.2× ordinary',
      verdict: verdict(p50 <= 1.2),
      path: paths.posts,
    });
    rows.push({
      measure: '1. fan-out time per post in the projector p50/p99 (202 → home-timeline checkpoint), ordinary / celebrity',
      value: `${ms(p.fanoutOrdinary.p50)} / ${ms(p.fanoutOrdinary.p99)} · ${ms(p.fanoutCelebrity.p50)} / ${ms(p.fanoutCelebrity.p99)}`,
      baseline: '',
      ratio: `celebrity/ordinary p50 ${x(p.fanoutCelebrity.p50 / p.fanoutOrdinary.p50)}`,
      target: '',
      verdict: '',
      path: paths.posts,
    });
    rows.push({
      measure: `1. projector fan-out backlog after ${p.burstPosts} ordinary posts sent back to back: drain time, and the projection's own insert rate`,
      value: `${p.drainSeconds} s to drain; ${rate(p.projectorInsertsPerSecond)} timeline inserts`,
      baseline: '',
      ratio: '',
      target: '',
      verdict: '',
      path: paths.posts,
    });
  }
  const f = r.fanout;
  if (f) {
    rows.push({
      measure: `2. fan-out throughput, offer to ${f.lists.toLocaleString('en-US')} cached lists (full at ${f.entriesPerList})`,
      value: `${rate(f.offerInsertsPerSecond)} inserts`,
      baseline: `${rate(f.rawInsertsPerSecond)} raw pipelined ZADD (same in-flight); ${rate(f.rawSingleInsertsPerSecond)} with one pipeline in flight`,
      ratio: x(f.ratio),
      target: '≥ 0.5× raw',
      verdict: verdict(f.ratio >= 0.5),
      path: paths.fanout,
    });
  }
  const reads = r.reads ?? [];
  const byName = (n: string) => reads.find((q) => q.name === n);
  const express = byName('express hello-world');
  const bare = byName('node:http');
  const plain = byName('timeline, follower of no celebrity');
  const celeb = byName('timeline, follower of three celebrities');
  for (const b of [bare, express]) {
    if (!b) continue;
    rows.push({
      measure: `3. baseline ${b.name}, ${b.bytesPerResponse} B body`,
      value: `${rate(b.requestsPerSecond)}, p50 ${ms(b.p50)}, p99 ${ms(b.p99)}`,
      baseline: '',
      ratio: b === express && bare ? `${x(b.requestsPerSecond / bare.requestsPerSecond)} of node:http` : '',
      target: '',
      verdict: '',
      path: 'baseline',
    });
  }
  for (const t of [plain, celeb]) {
    if (!t || !express) continue;
    const ofExpress = t.requestsPerSecond / express.requestsPerSecond;
    let ok = ofExpress >= 0.6 && t.p99 <= 25 && t.non2xx === 0 && t.errors === 0;
    let target = '≥ 0.6× express, p99 ≤ 25 ms';
    let ratio = `${x(ofExpress)} of express, ${bare ? x(t.requestsPerSecond / bare.requestsPerSecond) : '?'} of node:http`;
    if (t === celeb && plain) {
      const slower = plain.requestsPerSecond / t.requestsPerSecond;
      ok &&= slower <= 1.5;
      target += ', ≤ 1.5× plain follower';
      ratio += `; plain/this ${x(slower)}`;
    }
    rows.push({
      measure: `3. reads GET /v1/timeline, ${t.name.replace('timeline, ', '')}, 50 connections, ${t.bytesPerResponse} B`,
      value: `${rate(t.requestsPerSecond)}, p50 ${ms(t.p50)}, p99 ${ms(t.p99)}${t.non2xx || t.errors ? ` (${t.non2xx} non-2xx, ${t.errors} errors)` : ''}`,
      baseline: `express ${rate(express.requestsPerSecond)}`,
      ratio,
      target,
      verdict: verdict(ok),
      path: paths.reads,
    });
  }
  const d = r.deliveryLag;
  if (d) {
    const reached = d.achievedRate >= 0.95 * d.targetRate;
    rows.push({
      measure: `4. delivery lag p50/p99, 202 → in a follower's timeline, target ${d.targetRate} posts/s`,
      value: `${ms(d.lag.p50)} / ${ms(d.lag.p99)} at ${d.achievedRate} posts/s${d.undelivered ? `, ${d.undelivered} undelivered` : ''}`,
      baseline: `post 202 p50/p99 ${ms(d.postLatency.p50)} / ${ms(d.postLatency.p99)}`,
      ratio: `achieved ${x(d.achievedRate / d.targetRate)} of target rate`,
      target: 'p99 ≤ 1 s at 200 posts/s',
      verdict: verdict(d.lag.p99 <= 1000 && reached && d.undelivered === 0),
      path: paths.delivery,
    });
    if (d.projectionLag) {
      const parts = Object.entries(d.projectionLag)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, l]) => `${name} ${ms(l.p50)} / ${ms(l.p99)}${l.unreached ? ` (${l.unreached} not reached)` : ''}`);
      rows.push({
        measure: '4. the same posts, 202 → each projection’s checkpoint past them, p50/p99',
        value: parts.join(' · '),
        baseline: '',
        ratio: '',
        target: '',
        verdict: '',
        path: paths.delivery,
      });
    }
  }
  return rows;
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['measure', 'measured', 'baseline (same run)', 'ratio', 'target', 'verdict', 'timeline path'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${[r.measure, r.value, r.baseline, r.ratio, r.target, r.verdict ? `**${r.verdict}**` : '', r.path].join(' | ')} |`);
  return lines.join('\n');
}

export function writeResults(dir: string, results: Results): { file: string; latest: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `timeline-${stamp}.json`);
  const latest = join(dir, 'timeline-latest.json');
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(latest, json);
  return { file, latest };
}

function reusedNote(meta: Record<string, unknown>): string {
  const fixture = meta.fixture as { key: string; reused: boolean; forcedOverKey: string | null } | null;
  if (fixture?.reused) {
    return `started from saved database ${fixture.key}, generation and catch-up skipped${fixture.forcedOverKey ? `; forced with CHIRP_BENCH_FIXTURE although the current source's key is ${fixture.forcedOverKey}` : ''}`;
  }
  return `generate ${meta.generateSeconds} s, catch-up ${meta.catchUpSeconds} s`;
}

/** Replaces the generated block of docs/performance.md (creating the markers at the end if missing). */
export function updateDoc(path: string, results: Results): void {
  const m = results.meta as Record<string, string | number>;
  writeGeneratedBlock(path, 'timeline', [
    `Latest run: ${m.finishedAt} · ${m.mode === 'quick' ? '**quick smoke run** (not the benchmark scale) · ' : ''}` +
      `${m.users} users, ${m.follows} follows, ${m.tweets} tweets · nproc ${m.nproc} · Node ${m.node} · ` +
      `load average at start ${m.loadAtStart} · total ${m.totalSeconds} s (${reusedNote(results.meta)}) · ` +
      `home timeline: ${m.timeline}`,
    '',
    formatTable(results.rows),
    '',
    `Raw figures: \`bench/results/timeline-latest.json\`.`,
  ]);
}
