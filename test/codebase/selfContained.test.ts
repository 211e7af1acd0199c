// The code explains itself: no comment in src/ sends the reader to something outside the repository
// (a design document, its section numbers, a plan's phases, a tracker's issue numbers, a sibling folder
// of shared files). A comment states the rule in place, with its numbers. Comments are read with the
// TypeScript parser, so strings, templates and regular expressions that merely look like comments are
// never read, and identifiers (a random generator's `seed`) are not comments at all.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCE_EXTENSIONS = new Set(['.ts', '.js', '.mjs', '.cjs']);
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'out', '.git']);

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) found.push(...filesUnder(full, keep));
    } else if (keep(entry.name)) {
      found.push(full);
    }
  }
  return found;
}

/** Markdown files the repository itself holds: naming one of these points inside. */
const REPOSITORY_DOCUMENTS = new Set(
  filesUnder(ROOT, (name) => name.endsWith('.md')).map((file) => path.basename(file)),
);

interface OutsideReference {
  /** What the reader is sent to. */
  kind: string;
  pattern: RegExp;
}

/** The forms a pointer outside the repository takes in a comment. */
const OUTSIDE_REFERENCES: readonly OutsideReference[] = [
  { kind: 'issue tracker number', pattern: /\bissues? #?\d+/i },
  { kind: 'document section', pattern: /§/ },
  { kind: 'specification folder', pattern: /\bspecs?\/\S/i },
  { kind: 'original specification', pattern: /\boriginal[- ](?:spec\b|dtms\b|intelligent)/i },
  { kind: 'plan phase', pattern: /\bphase \d+/i },
  { kind: 'plan item', pattern: /\bitem \d+/i },
  { kind: 'numbered defect of another codebase', pattern: /\bbug #?\d+/i },
  // "the seed" is the fix plan Warden started from; a random generator's seed is "a seed", "its seed",
  // "seed 42", "seeded": none of those say "the seed" or "(seed: N)".
  {
    kind: 'seed document',
    pattern: /\bthe seed\b|\(seed[:)]|\bseed(?:'s)? (?:phase|unit|integration|e2e|regression|test)/i,
  },
  { kind: 'shared folder outside the repository', pattern: /(?:\.\.\/|\/work\/)shared\b/ },
  { kind: 'project note', pattern: /\bclosing note\b/i },
];

/** A markdown file named in a comment that the repository does not hold. */
function outsideDocument(comment: string): string | undefined {
  for (const match of comment.matchAll(/[\w.-]+\.md\b/g)) {
    if (!REPOSITORY_DOCUMENTS.has(match[0])) return match[0];
  }
  return undefined;
}

interface CommentText {
  /** 1-based line of the comment's first character. */
  line: number;
  text: string;
}

/** Every comment of a source file, once, from the parser's trivia around each token. */
function commentsOf(fileName: string, source: string): CommentText[] {
  const kind = fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const file = ts.createSourceFile(
    fileName,
    source,
    { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
    true,
    kind,
  );
  const seen = new Map<number, CommentText>();
  const add = (ranges: readonly ts.CommentRange[] | undefined) => {
    for (const range of ranges ?? []) {
      if (seen.has(range.pos)) continue;
      seen.set(range.pos, {
        line: file.getLineAndCharacterOfPosition(range.pos).line + 1,
        text: source.slice(range.pos, range.end),
      });
    }
  };
  const visit = (node: ts.Node) => {
    add(ts.getLeadingCommentRanges(source, node.pos));
    add(ts.getTrailingCommentRanges(source, node.end));
    for (const child of node.getChildren(file)) visit(child);
  };
  add(ts.getLeadingCommentRanges(source, 0));
  visit(file);
  return [...seen.values()].sort((a, b) => a.line - b.line);
}

/** The outside references of one file's comments, as `file:line: kind: "comment line"`. */
function outsideReferences(fileName: string, source: string): string[] {
  const hits: string[] = [];
  for (const comment of commentsOf(fileName, source)) {
    comment.text.split('\n').forEach((text, offset) => {
      const document = outsideDocument(text);
      const kinds = OUTSIDE_REFERENCES.filter((reference) => reference.pattern.test(text)).map(
        (reference) => reference.kind,
      );
      if (document !== undefined) kinds.unshift(`document outside the repository (${document})`);
      if (kinds.length > 0) hits.push(`${fileName}:${comment.line + offset}: ${kinds.join(', ')}: ${text.trim()}`);
    });
  }
  return hits;
}

describe('the detector', () => {
  it('finds each form of outside reference in line and block comments', () => {
    const source = [
      '// Breakeven (seed phase 3): move the stop.',
      'const a = 1; // as warden.md §2 says',
      '/** The keys the original loader required (§1.4). */',
      '/* issue 7: the adapter */',
      '// the original spec lists them',
      "// the seed's success metrics",
      '// failures that open the breaker (seed: 5)',
      '// the original-dtms scoring',
      '// the layout of ../shared/data',
      "// the original's BUG 10",
    ].join('\n');
    const lines = outsideReferences('x.ts', source).map((hit) => Number(hit.split(':')[1]));
    expect(new Set(lines)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  });

  it('leaves random seeds, seeded averages, strings, templates and repository documents alone', () => {
    const source = [
      '// A seeded generator: same seed, same draws; seed 42 by default; its seed is offset per symbol.',
      '// An EMA seeded with the SMA of the first values forgets its seed; a seed of 0 starts at zero.',
      'const seed = 1;',
      "const s = '// the seed says § 3 (issue 5)';",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source under test holds a template literal
      'const t = `/* see warden.md */ ${seed} // phase 2`;',
      'const r = /\\/\\/ issue 7/;',
      '// Usage in README.md.',
    ].join('\n');
    expect(outsideReferences('x.ts', source)).toEqual([]);
  });

  it('reads JavaScript files and comments at the end of a block', () => {
    const source = ['function f() {', '  return 1;', '  // warden.md §4', '}'].join('\n');
    expect(outsideReferences('x.js', source)).toEqual([
      'x.js:3: document outside the repository (warden.md), document section: // warden.md §4',
    ]);
  });
});

describe('src/', () => {
  it('no comment points outside the repository', () => {
    const files = filesUnder(
      path.join(ROOT, 'src'),
      (name) => SOURCE_EXTENSIONS.has(path.extname(name)) && !name.endsWith('.d.ts'),
    );
    expect(files.length).toBeGreaterThan(0);
    const hits = files.flatMap((file) => outsideReferences(path.relative(ROOT, file), readFileSync(file, 'utf8')));
    expect(
      hits,
      `comments pointing outside the repository (state the rule in place instead):\n${hits.join('\n')}`,
    ).toEqual([]);
  });
});
