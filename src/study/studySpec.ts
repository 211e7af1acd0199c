// A study spec file (YAML or JSON): the same choices as the command's options, kept with the
// project so a study can be run again as it was. Options given on the command line win. Paths in
// the file are relative to the file. Every problem names the file and the field.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatPath } from '../config/errors.ts';

const positiveInt = (max: number) => z.number().int().min(1).max(max);

export const studySpecSchema = z.strictObject({
  /** Config files, or "defaults"; bracket and chandelier are always added. */
  configs: z.array(z.string().min(1)).min(1).optional(),
  /** Bar files with the instrument each is for. */
  bars: z.array(z.strictObject({ file: z.string().min(1), symbol: z.string().min(1) })).optional(),
  /** A directory of bar files named like the shared data (xauusd_*, eurusd_*, ...): every M1 file. */
  shared: z.string().min(1).optional(),
  includeH1: z.boolean().optional(),
  variants: positiveInt(16).optional(),
  entryEvery: positiveInt(1_000_000).optional(),
  warmup: z.number().int().min(0).max(1_000_000).optional(),
  slAtr: z.number().min(0.1).max(50).optional(),
  rr: z.number().min(0.1).max(50).optional(),
  atrTimeframe: z.enum(['M1', 'M5', 'M15', 'M30', 'H1', 'H4']).optional(),
  balance: z.number().positive().optional(),
  workers: positiveInt(256).optional(),
  out: z.string().min(1).optional(),
});

export type StudySpec = z.infer<typeof studySpecSchema>;

export class StudySpecError extends Error {}

/** Reads and validates a spec; relative paths come back resolved against the file's directory. */
export function readStudySpec(file: string): StudySpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new StudySpecError(
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err)}`,
    );
  }
  let raw: unknown;
  try {
    raw = file.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new StudySpecError(
      `${file}: not valid ${file.toLowerCase().endsWith('.json') ? 'JSON' : 'YAML'}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  const parsed = studySpecSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${file}: ${formatPath(i.path)}: ${i.message}`);
    throw new StudySpecError(`${file} is not a valid study spec:\n${lines.join('\n')}`);
  }
  const dir = path.dirname(file);
  const at = (p: string) => (path.isAbsolute(p) ? p : path.join(dir, p));
  const s = parsed.data;
  return {
    ...s,
    ...(s.configs
      ? { configs: s.configs.map((c) => (c === 'defaults' || c === 'bracket' || c === 'chandelier' ? c : at(c))) }
      : {}),
    ...(s.bars ? { bars: s.bars.map((b) => ({ ...b, file: at(b.file) })) } : {}),
    ...(s.shared ? { shared: at(s.shared) } : {}),
    ...(s.out ? { out: at(s.out) } : {}),
  };
}
