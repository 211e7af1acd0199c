// The rows of an HTML report's tables, as the MT5 terminal writes its History report (Report > HTML):
// one <table> whose rows are section titles (<th>), headers and data rows (<td>). Not a general HTML
// parser: enough of the markup for tables written by a program (no nested tables; <tr>, <td> and <th>
// end where the next one starts if their end tag is missing). Cells with class "hidden" are left out:
// MT5 pads the Positions rows with an invisible cell (`<td class="hidden" colspan="8">`) so that they line
// up with the wider Orders and Deals tables; a browser does not show it, and the header names the cells
// that are shown. A shown cell spanning N columns counts as N cells (its text in the first), so that a
// row lines up with its header as on screen: the Positions totals row is one empty cell over 10 columns
// and then the commission, swap and profit sums.
import type { ReportRow } from './mt5Report.ts';

const ENTITIES: Readonly<Record<string, string>> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Text of a cell's markup: tags dropped, entities decoded, white space collapsed. */
export function cellText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
      }
      return ENTITIES[name.toLowerCase()] ?? all;
    })
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
}

/** Comments, scripts and styles blanked out, their line breaks kept (line numbers stay right). */
function withoutNonContent(html: string): string {
  return html.replace(/<!--[\s\S]*?-->|<script\b[\s\S]*?<\/script\s*>|<style\b[\s\S]*?<\/style\s*>/gi, (m) =>
    m.replace(/[^\n]/g, ''),
  );
}

const HIDDEN = /\bclass\s*=\s*(["']?)[^"'>]*\bhidden\b/i;

/**
 * Every <tr> of the document in order: its line in the file (1-based, the line its `<tr` starts on),
 * its shown cells' text, and whether it is a heading row (all of its cells are <th>).
 */
export function htmlTableRows(source: string): ReportRow[] {
  const html = withoutNonContent(source);
  const rows: ReportRow[] = [];
  const trOpen = /<tr\b[^>]*>/gi;
  let line = 1;
  let counted = 0;
  let m: RegExpExecArray | null;
  while ((m = trOpen.exec(html)) !== null) {
    for (let i = html.indexOf('\n', counted); i !== -1 && i < m.index; i = html.indexOf('\n', i + 1)) line++;
    counted = m.index;
    const start = m.index + m[0].length;
    // The row ends at its end tag, or where the next row or the table ends.
    const rest = /<\/tr\s*>|<tr\b|<\/table\s*>/gi;
    rest.lastIndex = start;
    const end = rest.exec(html)?.index ?? html.length;
    const body = html.slice(start, end);
    const cells: string[] = [];
    let th = 0;
    let all = 0;
    const cellOpen = /<(td|th)\b([^>]*)>/gi;
    let c: RegExpExecArray | null;
    while ((c = cellOpen.exec(body)) !== null) {
      const contentStart = c.index + c[0].length;
      const close = /<\/t[dh]\s*>|<t[dh]\b/gi;
      close.lastIndex = contentStart;
      const contentEnd = close.exec(body)?.index ?? body.length;
      cellOpen.lastIndex = contentEnd;
      if (HIDDEN.test(c[2]!)) continue;
      all++;
      if (c[1]!.toLowerCase() === 'th') th++;
      cells.push(cellText(body.slice(contentStart, contentEnd)));
      const span = /\bcolspan\s*=\s*["']?(\d+)/i.exec(c[2]!);
      for (let k = 1; k < Math.min(Number(span?.[1] ?? 1), 64); k++) cells.push('');
    }
    trOpen.lastIndex = end;
    rows.push({ line, cells, heading: all > 0 && th === all });
  }
  return rows;
}
