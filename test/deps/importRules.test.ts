// The import rules (.dependency-cruiser.cjs) catch what they are there for: a cruise of a tiny source tree
// with a cycle through type-only imports and a core module reading a file must report both. The rules are
// also run on src/ by `npm run check:deps` (CI); this test shows they are not vacuous.
// dependency-cruiser 18 needs Node 22 or later: on an older Node the suite is skipped, saying so.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const CAN_CRUISE = NODE_MAJOR >= 22;

interface RuleConfig {
  forbidden: unknown[];
  options: Record<string, unknown>;
}

describe.skipIf(!CAN_CRUISE)(
  `import rules (dependency-cruiser; skipped on Node < 22, this is Node ${process.versions.node})`,
  () => {
    let dir = '';
    afterAll(() => {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    const write = (path: string, text: string): void => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    };

    it('reports a cycle through type-only imports and a Node built-in in the core', async () => {
      dir = mkdtempSync(join(tmpdir(), 'warden-deps-'));
      write(
        'src/cli/main.ts',
        "import { quote } from '../domain/quote.ts';\nimport { peek } from '../exits/peek.ts';\nconsole.log(quote, peek);\n",
      );
      write(
        'src/domain/quote.ts',
        "import type { Side } from './side.ts';\nexport const quote = (s: Side): string => s;\n",
      );
      write(
        'src/domain/side.ts',
        "import type { quote } from './quote.ts';\nexport type Side = 'buy' | 'sell';\nexport type Q = typeof quote;\n",
      );
      write('src/exits/peek.ts', "import { readFileSync } from 'node:fs';\nexport const peek = readFileSync;\n");

      const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as RuleConfig;
      const { tsConfig: _tsConfig, ...options } = config.options;
      const { cruise } = await import('dependency-cruiser');
      const out = await cruise(['src'], {
        ...options,
        baseDir: dir,
        validate: true,
        ruleSet: { forbidden: config.forbidden },
      } as Parameters<typeof cruise>[1]);
      if (typeof out.output === 'string') throw new Error('expected a cruise result, got a report');
      const violations = out.output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);

      expect(violations).toContain('no-circular: src/domain/quote.ts -> src/domain/side.ts');
      expect(violations).toContain('core-does-no-io: src/exits/peek.ts -> fs');
      expect(out.output.summary.error).toBe(2);
    });
  },
);
