// decisions.jsonl: one JSON object per line for every entry, every intent sent (with the broker's
// answer), every skip worth knowing (a rule that would act but a constraint stopped it, recorded when
// its reason changes) and every close. Lines are built with a fixed key order and numbers rounded to
// the instrument's digits, so two runs with the same inputs write the same bytes.
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { BackgroundFileWriter } from './backgroundFileWriter.ts';
import { decimalText } from '../domain/decimalText.ts';

export type DecisionKind = 'open' | 'breakeven' | 'partial' | 'trail' | 'dtms' | 'close';
/** `info`: a DTMS transition or a stop hand-over (a decision that is not a broker request). */
export type DecisionResult = 'applied' | 'rejected' | 'skipped' | 'unknown' | 'info';

export interface DecisionLine {
  time: string;
  positionId: string;
  symbol: string;
  side: string;
  kind: DecisionKind;
  intentId: string;
  oldSl: number | null;
  newSl: number | null;
  /** Volume the line is about (entry, partial or close volume). */
  volume: number | null;
  /** Volume open before this line took effect. */
  openVolume: number | null;
  price: number | null;
  reason: string;
  result: DecisionResult;
  /** Broker return code for intents (MT5 retcodes), 0 otherwise. */
  code: number;
  /** The decision explained: inputs, thresholds, gates (see explainDecision). */
  detail: string;
}

/** Bytes per write buffer (each one its own ArrayBuffer, so it can be handed to the writer thread). */
const BUFFER_BYTES = 1 << 20;

/** Writes `length` bytes of `buf` to `fd`; a failure names `file` (its `path`), as the writer thread's do. */
function writeAll(fd: number, buf: Buffer, length: number, file: string): void {
  try {
    let off = 0;
    while (off < length) off += writeSync(fd, buf, off, length - off);
  } catch (err) {
    if (err instanceof Error && !('path' in err)) Object.assign(err, { path: file });
    throw err;
  }
}

/** Buffered line sink: a file, or memory (tests, --compare). */
export class LineWriter {
  private fd: number | null;
  // Each line is encoded straight into a 1 MB buffer; a full buffer goes to a writer thread and a
  // fresh one takes its place. Appending lines to a string and writing it spent most of its time
  // flattening that string, and waiting on the writes was another 5% of a replay.
  private buf: Buffer | null;
  private used = 0;
  private readonly writer: BackgroundFileWriter | null;
  readonly lines: string[] | null;
  count = 0;
  /** Bytes handed to the file (written, or queued for the writer thread), the current buffer not included. */
  private handed = 0;
  private readonly file: string;

  /**
   * `path` null: lines kept in memory. `resume`: go on with an existing file (a replay resumed from a
   * checkpoint): it is cut to `bytes` (what `sync()` returned at the checkpoint), lines are appended
   * after it, and `count` starts at `lines`.
   */
  constructor(path: string | null, resume?: { bytes: number; lines: number }) {
    if (path !== null && resume !== undefined) {
      const fd = openSync(path, 'r+');
      try {
        const size = fstatSync(fd).size;
        if (size < resume.bytes)
          throw new Error(`${path}: ${size} bytes, shorter than the ${resume.bytes} bytes to go on from`);
        ftruncateSync(fd, resume.bytes);
      } finally {
        closeSync(fd);
      }
      // O_APPEND: every write goes to the end, after the kept bytes.
      this.fd = openSync(path, 'a');
      this.count = resume.lines;
      this.handed = resume.bytes;
    } else {
      this.fd = path === null ? null : openSync(path, 'w');
      if (resume !== undefined) this.count = resume.lines;
    }
    this.file = path ?? '';
    this.lines = path === null ? [] : null;
    this.buf = path === null ? null : Buffer.allocUnsafe(BUFFER_BYTES);
    this.writer = this.fd === null ? null : new BackgroundFileWriter(this.fd, path ?? '');
  }

  write(line: string): void {
    this.count++;
    if (this.lines) {
      this.lines.push(line);
      return;
    }
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit; +1 for the newline.
    if (this.used + line.length * 3 + 1 > this.buf!.length) {
      this.flush();
      if (line.length * 3 + 1 > this.buf!.length) {
        const bytes = Buffer.from(`${line}\n`, 'utf8');
        this.handed += bytes.length;
        this.writer!.write(
          (bytes.buffer as ArrayBuffer).slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
          bytes.length,
        );
        return;
      }
    }
    const buf = this.buf!;
    this.used += buf.write(line, this.used, 'utf8');
    buf[this.used++] = 10;
  }

  private flush(): void {
    if (this.fd === null || this.used === 0) return;
    const full = this.buf!;
    // allocUnsafe of 1 MB is never a slice of Node's small-buffer pool: the whole ArrayBuffer is ours to
    // hand over (checked all the same: a slice would hand over its neighbours).
    const whole = full.byteOffset === 0 && full.buffer.byteLength === full.length;
    const ab = full.buffer as ArrayBuffer;
    this.writer!.write(whole ? ab : ab.slice(full.byteOffset, full.byteOffset + this.used), this.used);
    this.handed += this.used;
    const back = this.writer!.reuse(BUFFER_BYTES);
    this.buf = back === null ? Buffer.allocUnsafe(BUFFER_BYTES) : Buffer.from(back, 0, BUFFER_BYTES);
    this.used = 0;
  }

  /**
   * Writes what is buffered and waits until every line so far is in the file (handed to the OS: it
   * survives the process being killed); returns the file's length in bytes. For a checkpoint: the
   * bytes first, then the checkpoint that says how far they go. In memory: 0.
   */
  sync(): number {
    if (this.fd === null) return 0;
    if (this.used > 0) {
      if (this.writer!.started) this.flush();
      else {
        // No thread yet: written here, in order (nothing is queued before it).
        writeAll(this.fd, this.buf!, this.used, this.file);
        this.handed += this.used;
        this.used = 0;
      }
    }
    this.writer!.drain();
    return this.handed;
  }

  /** Writes what is buffered, waits for the writer thread, closes the file (throws a write error). */
  close(): void {
    if (this.fd === null) return;
    try {
      // A file that fits one buffer is written here: no thread for it.
      if (this.writer!.started) this.flush();
      else if (this.used > 0) writeAll(this.fd, this.buf!, this.used, this.file);
      this.writer!.finish();
    } finally {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

const TWO: string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z + 1 ms: toISOString switches to six-digit years from here. */
const ISO_END = 253_402_300_800_000;
let isoDay = NaN;
let isoDayPrefix = '';
let isoLastT = NaN;
let isoLast = '';

/**
 * `YYYY-MM-DDT` of a day number since 1970-01-01 (>= 0, year <= 9999), by arithmetic: trade rows
 * alternate entry and exit days, and a Date per day change was most of isoTime there.
 * (Days to civil date: H. Hinnant's algorithm, March-based years.)
 */
function datePrefix(day: number): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${TWO[m]}-${TWO[d]}T`;
}

/**
 * UTC ISO-8601 time, without milliseconds when they are zero: `2024-01-02T03:04:05Z`. Same text as
 * `new Date(t).toISOString()` minus `.000`, but the date part is cached per day and the last result
 * is reused (several lines share a bar's close time): a Date, toISOString and replace per line were
 * 0.1 s of a 1M-bar replay.
 */
export function isoTime(t: number): string {
  if (t === isoLastT) return isoLast;
  if (!Number.isInteger(t) || t < 0 || t >= ISO_END) return new Date(t).toISOString().replace('.000Z', 'Z');
  const day = Math.floor(t / DAY_MS);
  if (day !== isoDay) {
    isoDay = day;
    isoDayPrefix = datePrefix(day);
  }
  let ms = t - day * DAY_MS;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = Math.floor(ms / 1000);
  ms -= s * 1000;
  const text = `${isoDayPrefix}${TWO[h]}:${TWO[m]}:${TWO[s]}${ms === 0 ? 'Z' : `.${String(ms).padStart(3, '0')}Z`}`;
  isoLastT = t;
  isoLast = text;
  return text;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

/**
 * Rounds to `digits` decimals; NaN/undefined -> null (JSON has no NaN). Scaling instead of toFixed:
 * the same value for prices and volumes, without a string per call (decisions.jsonl writes several
 * numbers per line, on the replay's hot path).
 */
export function rounded(x: number | null | undefined, digits: number): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const p = POW10[digits] ?? 10 ** digits;
  return Math.round(x * p) / p;
}

/** A character JSON.stringify escapes, or a surrogate (a lone one is escaped; pairs take the slow path too). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes exactly these control characters.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** JSON.stringify(s), without its copy when nothing needs escaping (nearly every id, reason and explanation). */
const str = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/** Line numbers are already rounded (rounded(): price digits, volumes 8): their text without a shortest-double search. */
const num = (x: number | null): string => (x === null ? 'null' : decimalText(x, 8));

/** A line being written: DecisionLine with its time still a number (formatted once, when written). */
export type DecisionLineDraft = Omit<DecisionLine, 'time'> & { time: number };

export function newDecisionLineDraft(): DecisionLineDraft {
  return {
    time: 0,
    positionId: '',
    symbol: '',
    side: '',
    kind: 'open',
    intentId: '',
    oldSl: null,
    newSl: null,
    volume: null,
    openVolume: null,
    price: null,
    reason: '',
    result: 'applied',
    code: 0,
    detail: '',
  };
}

/**
 * Writes decision lines through one reused draft: `begin` resets it, the caller sets what the line is
 * about, `emit` formats and writes it. No object per line (spreading a partial line into a fresh one
 * per intent was 0.1 s of a 1M-bar replay).
 */
export class DecisionLineBuilder {
  private readonly draft = newDecisionLineDraft();
  constructor(
    private readonly writer: LineWriter,
    private readonly symbol: string,
  ) {}

  begin(time: number, positionId: string, side: string, kind: DecisionKind, result: DecisionResult): DecisionLineDraft {
    const l = this.draft;
    l.time = time;
    l.positionId = positionId;
    l.symbol = this.symbol;
    l.side = side;
    l.kind = kind;
    l.intentId = '';
    l.oldSl = null;
    l.newSl = null;
    l.volume = null;
    l.openVolume = null;
    l.price = null;
    l.reason = '';
    l.result = result;
    l.code = 0;
    l.detail = '';
    return l;
  }

  emit(): void {
    this.writer.write(formatDecisionLine(this.draft));
  }
}

/**
 * One line, keys in DecisionLine's order; numbers with at most 8 decimals (they come rounded). Built
 * as one string and encoded by one Buffer.write: JSON.stringify of an object per line cost 1.8 us;
 * encoding the pieces into the buffer by hand in JS was slower than this (1.6 against 1.3 us a line).
 */
export function formatDecisionLine(l: DecisionLine | DecisionLineDraft): string {
  const time = typeof l.time === 'number' ? isoTime(l.time) : l.time;
  return (
    `{"time":"${time}","positionId":${str(l.positionId)},"symbol":${str(l.symbol)},"side":"${l.side}","kind":"${l.kind}",` +
    `"intentId":${str(l.intentId)},"oldSl":${num(l.oldSl)},"newSl":${num(l.newSl)},"volume":${num(l.volume)},"openVolume":${num(l.openVolume)},` +
    `"price":${num(l.price)},"reason":${str(l.reason)},"result":"${l.result}","code":${l.code},"detail":${str(l.detail)}}`
  );
}
