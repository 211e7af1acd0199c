// The sheets of an XLSX workbook as rows of cell text, enough to read the MT5 terminal's History report
// saved as "Open XML". An .xlsx is a zip of XML parts: the workbook lists its sheets, a relationships
// part says which file holds each, a sheet holds rows of cells, and text cells usually point into the
// shared strings part.
//
// Why no library: no XLSX reader is among the project's dependencies, and the well-known ones are either
// large (exceljs brings a zip library, streams and a date library) or no longer maintained on npm (the
// `xlsx` package there is frozen at a version with published advisories). Reading cell text is a small
// job: node:zlib inflates the parts (a zip entry is a raw deflate stream), a central-directory walk finds
// them, and the sheet XML is flat and regular (scanned with indexOf, see sheetRows). Measured here (CPU
// time, node 20, the whole read: unzip, sheet, Positions table, time zone): a generated report of 20,000
// positions (a 1.1 MB .xlsx, 9.5 MB of sheet XML) in about 0.3 s, one of 3,000 positions in about 0.06 s.
// A report is read once per replay, whole (it is small next to the bar files).
//
// Limits, each refused with a message rather than misread: encrypted entries, ZIP64 archives (a part
// over 4 GB), compression other than stored or deflate, parts larger than MAX_PART_BYTES once inflated.
import { crc32, inflateRawSync } from 'node:zlib';
import type { ReportRow } from './mt5Report.ts';

/** A workbook that is not a readable .xlsx: the message says why. */
export class XlsxError extends Error {}

/** Largest part inflated (a guard against a zip bomb): far more than any trade report needs. */
export const MAX_PART_BYTES = 512 * 1024 * 1024;

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The entries of a zip archive, from its central directory. */
export function zipEntries(buf: Buffer): Map<string, ZipEntry> {
  let eocd = -1;
  // The end record is the last 22 bytes plus a comment of up to 65,535 bytes.
  for (let i = buf.length - 22; i >= 0 && i >= buf.length - 22 - 65_535; i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new XlsxError('not a zip archive (no end of central directory): an .xlsx is one');
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff)
    throw new XlsxError('a ZIP64 archive: too large for a trade report; save a shorter period');
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL)
      throw new XlsxError('a damaged zip archive (central directory)');
    const nameLen = buf.readUInt16LE(p + 28);
    const entry: ZipEntry = {
      flags: buf.readUInt16LE(p + 8),
      method: buf.readUInt16LE(p + 10),
      crc: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localOffset: buf.readUInt32LE(p + 42),
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
    };
    entries.set(entry.name, entry);
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return entries;
}

/** The bytes of one zip entry, inflated and checked against its CRC. */
export function zipRead(buf: Buffer, e: ZipEntry): Buffer {
  if (e.flags & 1) throw new XlsxError(`${e.name} is encrypted: save the report without a password`);
  if (e.compressedSize === 0xffffffff || e.size === 0xffffffff)
    throw new XlsxError('a ZIP64 archive: too large for a trade report; save a shorter period');
  if (e.size > MAX_PART_BYTES)
    throw new XlsxError(`${e.name} is ${e.size} bytes inflated: more than a trade report holds`);
  const p = e.localOffset;
  if (p + 30 > buf.length || buf.readUInt32LE(p) !== LOCAL) throw new XlsxError(`a damaged zip archive (${e.name})`);
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  const raw = buf.subarray(start, start + e.compressedSize);
  let data: Buffer;
  if (e.method === 0) data = raw;
  else if (e.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: MAX_PART_BYTES });
    } catch (err) {
      throw new XlsxError(`${e.name} does not inflate (${err instanceof Error ? err.message : String(err)})`);
    }
  } else throw new XlsxError(`${e.name} uses zip compression method ${e.method}: only stored and deflate are read`);
  if (data.length !== e.size || crc32(data) !== e.crc)
    throw new XlsxError(`${e.name} fails its checksum: the file is damaged`);
  return data;
}

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function xmlText(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return XML_ENTITIES[name] ?? all;
  });
}

/** The text of the <t> elements in a fragment (a shared string or an inline string), phonetic runs left out. */
function runsText(fragment: string): string {
  let out = '';
  const t = /<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g;
  let m: RegExpExecArray | null;
  const body = fragment.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '');
  while ((m = t.exec(body)) !== null) out += xmlText(m[1]!);
  return out;
}

function sharedStrings(xml: string): string[] {
  const out: string[] = [];
  const si = /<si\b[^>]*?(?:\/>|>([\s\S]*?)<\/si>)/g;
  let m: RegExpExecArray | null;
  while ((m = si.exec(xml)) !== null) out.push(m[1] === undefined ? '' : runsText(m[1]));
  return out;
}

const ATTRS = new Map<string, RegExp>();
/** The value of attribute `name` in a start tag's text (its pattern compiled once per name). */
function attr(tag: string, name: string): string | undefined {
  let re = ATTRS.get(name);
  if (re === undefined) {
    re = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`);
    ATTRS.set(name, re);
  }
  return re.exec(tag)?.[1];
}

/** `BC12` -> 54 (0-based column of a cell reference); -1 when it is not one. */
export function columnOf(ref: string): number {
  let col = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c >= 65 && c <= 90) col = col * 26 + (c - 64);
    else break;
  }
  return i === 0 ? -1 : col - 1;
}

/** The value of attribute `name` (with its leading space and `="`, e.g. ` r="`) in tag text [s, e); undefined when absent. */
function attrIn(xml: string, s: number, e: number, name: string): string | undefined {
  const at = xml.indexOf(name, s);
  if (at === -1 || at >= e) return undefined;
  const from = at + name.length;
  const close = xml.indexOf('"', from);
  return close === -1 || close > e ? undefined : xml.slice(from, close);
}

/**
 * The rows of one sheet's XML, numbered as the spreadsheet numbers them. A scan with indexOf rather than
 * regular expressions: a sheet is a flat run of <row> and <c> elements, and this reads a cell in about
 * a microsecond (regular expressions per cell took several times longer, most of it in garbage).
 */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function sheetRows(xml: string, shared: readonly string[]): ReportRow[] {
  const rows: ReportRow[] = [];
  let next = 1;
  let p = xml.indexOf('<sheetData');
  if (p === -1) return rows;
  for (;;) {
    p = xml.indexOf('<row', p);
    if (p === -1) break;
    const tagEnd = xml.indexOf('>', p);
    if (tagEnd === -1) break;
    const after = xml.charCodeAt(p + 4);
    if (after !== 32 && after !== 62 && after !== 47 && after !== 9 && after !== 10 && after !== 13) {
      p += 4;
      continue;
    }
    const r = Number(attrIn(xml, p, tagEnd, ' r="'));
    const line = Number.isInteger(r) && r > 0 ? r : next;
    next = line + 1;
    const cells: string[] = [];
    rows.push({ line, cells, heading: false });
    if (xml.charCodeAt(tagEnd - 1) === 47 /* / */) {
      p = tagEnd + 1;
      continue;
    }
    const rowEnd = xml.indexOf('</row>', tagEnd);
    const stop = rowEnd === -1 ? xml.length : rowEnd;
    let q = tagEnd + 1;
    let col = 0;
    for (;;) {
      q = xml.indexOf('<c', q);
      if (q === -1 || q >= stop) break;
      const cEnd = xml.indexOf('>', q);
      const ch = xml.charCodeAt(q + 2);
      if (ch !== 32 && ch !== 62 && ch !== 47 && ch !== 9 && ch !== 10 && ch !== 13) {
        q += 2;
        continue;
      }
      const ref = attrIn(xml, q, cEnd, ' r="');
      const at = ref === undefined ? col : columnOf(ref);
      const k = at < 0 ? col : at;
      col = k + 1;
      let text = '';
      if (xml.charCodeAt(cEnd - 1) !== 47) {
        const close = xml.indexOf('</c>', cEnd);
        const bodyEnd = close === -1 || close > stop ? stop : close;
        const type = attrIn(xml, q, cEnd, ' t="') ?? 'n';
        if (type === 'inlineStr') text = runsText(xml.slice(cEnd + 1, bodyEnd));
        else {
          const v = xml.indexOf('<v>', cEnd);
          if (v !== -1 && v < bodyEnd) {
            const vEnd = xml.indexOf('</v>', v);
            text = xmlText(xml.slice(v + 3, vEnd === -1 || vEnd > bodyEnd ? bodyEnd : vEnd));
            if (type === 's') text = shared[Number(text)] ?? '';
          }
        }
        q = bodyEnd;
      } else q = cEnd + 1;
      while (cells.length < k) cells.push('');
      cells[k] = text.trim();
    }
    p = stop;
  }
  return rows;
}

/** Every sheet of a workbook, in the workbook's order, as rows. */
export function xlsxSheets(buf: Buffer): { name: string; rows: ReportRow[] }[] {
  const entries = zipEntries(buf);
  const part = (name: string): string | null => {
    const e = entries.get(name);
    return e === undefined ? null : zipRead(buf, e).toString('utf8');
  };
  const workbook = part('xl/workbook.xml');
  if (workbook === null) throw new XlsxError('a zip archive without xl/workbook.xml: not an .xlsx workbook');
  const rels = part('xl/_rels/workbook.xml.rels') ?? '';
  const targets = new Map<string, string>();
  for (const m of rels.matchAll(/<Relationship\b[^>]*>/g)) {
    const id = attr(m[0], 'Id');
    const target = attr(m[0], 'Target');
    if (id !== undefined && target !== undefined)
      targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target}`);
  }
  const sharedXml = part('xl/sharedStrings.xml');
  const shared = sharedXml === null ? [] : sharedStrings(sharedXml);
  const sheets: { name: string; rows: ReportRow[] }[] = [];
  let n = 0;
  for (const m of workbook.matchAll(/<sheet\b[^>]*>/g)) {
    n++;
    const id = attr(m[0], 'r:id');
    const path = (id !== undefined ? targets.get(id) : undefined) ?? `xl/worksheets/sheet${n}.xml`;
    const xml = part(path);
    if (xml === null) throw new XlsxError(`the workbook lists a sheet stored in ${path}, which the archive lacks`);
    sheets.push({ name: xmlText(attr(m[0], 'name') ?? `sheet ${n}`), rows: sheetRows(xml, shared) });
  }
  if (sheets.length === 0) throw new XlsxError('the workbook has no sheet');
  return sheets;
}
