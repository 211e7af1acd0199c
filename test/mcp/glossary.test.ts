// The glossary an agent reads (the MCP resource) is the one the trade page shows: the same terms, the
// same words.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GLOSSARY, glossaryMarkdown } from '../../src/service/glossary.ts';

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('glossary', () => {
  it('the trade page and the MCP resource list the same terms with the same meanings', () => {
    const html = readFileSync(new URL('../../src/service/pages/trade.html', import.meta.url), 'utf8');
    const onPage = [...html.matchAll(/<dt>(.*?)<\/dt><dd>(.*?)<\/dd>/g)].map((m) => ({
      term: unescapeHtml(m[1]!),
      meaning: unescapeHtml(m[2]!),
    }));
    expect(onPage.length).toBeGreaterThan(5);
    expect(GLOSSARY).toEqual(onPage);
    expect(glossaryMarkdown()).toContain('- **DTMS**: The defensive trade management system');
  });
});
