// The CSV the history layouts are written in: comma-separated, cells quoted when they hold a comma or a
// quote ("" inside quotes is a quote), as pandas' to_csv and Binance's exports write them. A quoted cell
// spanning lines is not supported: no column these layouts read holds a line break, and a comment that
// does makes the row's cell count wrong, which is reported for that row.

/** One non-blank line of a CSV, its cells unquoted, with its 1-based line number. */
export interface CsvRow {
  line: number;
  cells: string[];
}

/** The cells of one line. */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let text = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1) {
          // An unterminated quote: the rest of the line is the cell.
          text += line.slice(j);
          j = n;
          break;
        }
        text += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          text += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      // Anything between the closing quote and the comma belongs to the cell too (lenient, as readers are).
      const comma = line.indexOf(',', j);
      const end = comma === -1 ? n : comma;
      cells.push((text + line.slice(j, end)).trim());
      if (comma === -1) return cells;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      cells.push(line.slice(i, end).trim());
      if (comma === -1) return cells;
      i = comma + 1;
    }
  }
}

/** The rows of a CSV text (BOM and CR tolerated, blank lines skipped). */
export function csvRows(text: string): CsvRow[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const rows: CsvRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    rows.push({ line: i + 1, cells: splitCsvLine(raw) });
  }
  return rows;
}

/** A header cell as the layouts are matched: lower case, without spaces. */
export const headerKey = (cell: string): string => cell.toLowerCase().replace(/\s+/g, '');
