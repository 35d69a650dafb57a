import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BackpressuredOutput, OutputClosedError } from '../src/cli/backpressured-output.ts';

/**
 * The export's output discipline on a real stream with a slow consumer: the buffer never grows
 * past the stream's high-water mark plus one chunk, and a reader that goes away ends the waiting.
 */
describe('BackpressuredOutput', () => {
  it('never lets a slow reader\'s buffer grow past the high-water mark, and keeps every chunk in order', async () => {
    const received: string[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk.toString());
        setTimeout(done, 1);
      },
    });
    const output = new BackpressuredOutput(slow);
    const chunks = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(297)}\n`);
    let mostBuffered = 0;
    for (const chunk of chunks) {
      await output.write(chunk);
      mostBuffered = Math.max(mostBuffered, slow.writableLength);
    }
    await new Promise<void>((resolve) => slow.end(resolve));
    output.release();
    expect(mostBuffered).toBeGreaterThan(0);
    expect(mostBuffered).toBeLessThan(1024 + 300);
    expect(received.join('')).toBe(chunks.join(''));
  });

  it('a reader that goes away (EPIPE) rejects the waiting write and every later one with OutputClosedError', async () => {
    const stuck = new Writable({ highWaterMark: 10, write() {} }); // never drains
    const output = new BackpressuredOutput(stuck);
    await output.write('a'.repeat(5));
    const waiting = output.write('b'.repeat(20));
    stuck.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await expect(waiting).rejects.toBeInstanceOf(OutputClosedError);
    await expect(output.write('c')).rejects.toBeInstanceOf(OutputClosedError);
  });
});
