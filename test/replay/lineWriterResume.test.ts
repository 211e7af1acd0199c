// LineWriter.sync() and the resume option: the byte length sync() returns is on disk, and a writer that
// goes on from it (after more lines were written past it and lost) ends with the same file as one that
// never stopped, through the writer thread (several 1 MB buffers) and without it (a small file).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineWriter } from '../../src/replay/decisionLog.ts';

const root = mkdtempSync(path.join(tmpdir(), 'warden-lw-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const line = (i: number) => `{"i":${i},"text":"${'x'.repeat(i % 97)}é"}`;

describe('LineWriter: sync and resume', () => {
  for (const [name, total, at] of [
    ['small file (no writer thread)', 300, 120],
    ['large file (writer thread)', 60_000, 37_123],
  ] as const) {
    it(`${name}: resumed at a synced offset, the file equals the uninterrupted one`, () => {
      const whole = path.join(root, `${total}-whole.jsonl`);
      const w = new LineWriter(whole);
      for (let i = 0; i < total; i++) w.write(line(i));
      w.close();

      const cut = path.join(root, `${total}-cut.jsonl`);
      const a = new LineWriter(cut);
      for (let i = 0; i < at; i++) a.write(line(i));
      const bytes = a.sync();
      expect(statSync(cut).size).toBe(bytes);
      expect(readFileSync(whole).subarray(0, bytes).equals(readFileSync(cut))).toBe(true);
      for (let i = at; i < at + 500; i++) a.write(line(i)); // written after the checkpoint, then "lost"
      a.close();

      const b = new LineWriter(cut, { bytes, lines: at });
      expect(b.count).toBe(at);
      for (let i = at; i < total; i++) b.write(line(i));
      expect(b.sync()).toBe(statSync(whole).size);
      b.close();
      expect(b.count).toBe(total);
      expect(readFileSync(cut).equals(readFileSync(whole))).toBe(true);
    });
  }

  it('refuses to go on from a file shorter than the checkpoint says', () => {
    const f = path.join(root, 'short.jsonl');
    writeFileSync(f, 'abc\n');
    expect(() => new LineWriter(f, { bytes: 10, lines: 2 })).toThrow(/4 bytes, shorter than the 10 bytes/);
    expect(readFileSync(f, 'utf8')).toBe('abc\n');
  });

  it('in memory: sync returns 0 and count starts where asked', () => {
    const m = new LineWriter(null, { bytes: 0, lines: 5 });
    m.write('x');
    expect(m.sync()).toBe(0);
    expect(m.count).toBe(6);
    expect(m.lines).toEqual(['x']);
  });
});
