// `warden openapi`: the API's OpenAPI document validates against the OpenAPI 3.0 JSON schema, and the
// ChatGPT export keeps the action's operations with the public https server it names. Both say what
// the triggers are measured in (% of the way to TP, never R), within what ChatGPT takes, with the
// notes read from the config the document is made for.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.ts';
import { CHATGPT_OPERATIONS } from '../../src/cli/commands/openapi.ts';
import { ACTION_DESCRIPTION_MAX, triggerRange } from '../../src/service/actionNotes.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-openapi-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every `description` in the document with where it is (schemas, parameters, operations). */
function descriptions(node: unknown, at = '', out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) node.forEach((v, i) => descriptions(v, `${at}[${i}]`, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'description' && typeof v === 'string') out.push([at, v]);
      else descriptions(v, `${at}.${k}`, out);
    }
  }
  return out;
}

async function warden(...args: string[]) {
  let out = '';
  let err = '';
  const code = await run(['node', 'warden', ...args], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

type Op = {
  operationId?: string;
  security?: unknown;
  summary?: string;
  description?: string;
  'x-openai-isConsequential'?: boolean;
};
type Doc = {
  openapi: string;
  info: { description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Op>>;
  components: {
    schemas: Record<
      string,
      { properties?: Record<string, { minimum?: number; maximum?: number; description?: string }> }
    >;
  };
};
const operations = (d: Doc) => Object.values(d.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));

describe('warden openapi', () => {
  it('prints a valid OpenAPI 3 document of every operation', async () => {
    const r = await warden('openapi', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Doc;
    const v = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(v).toEqual({ valid: true });
    expect(operations(doc)).toContain('stopPath');
  });

  it('--for chatgpt: YAML with only the action operations and the given https server; a valid document', async () => {
    const r = await warden('openapi', '--for', 'chatgpt', '--server-url', 'https://warden.example.com/');
    expect(r.code).toBe(0);
    const doc = parse(r.out) as Doc;
    expect(await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0])).toEqual({
      valid: true,
    });
    expect(doc.servers).toEqual([{ url: 'https://warden.example.com' }]);
    expect(operations(doc).sort()).toEqual([...CHATGPT_OPERATIONS].sort());
    expect(doc.paths['/api/trades']?.post?.security).toEqual([{ bearer: [] }]);
  });

  it('neither document says "% of R": the triggers are % of the way from entry to TP, in the config\'s range', async () => {
    const full = await warden('openapi', '--json');
    const action = await warden('openapi', '--for', 'chatgpt', '--server-url', 'https://warden.example.com', '--json');
    const { min, max } = triggerRange();
    for (const r of [full, action]) {
      expect(r.code).toBe(0);
      expect(r.out).not.toMatch(/% of R\b/);
      expect(r.out).not.toMatch(/\bof R\b/);
      const doc = JSON.parse(r.out) as Doc;
      const patch = doc.components.schemas['PlanPatch']!.properties!;
      for (const f of ['breakevenPct', 'partialPct']) {
        expect(patch[f]).toMatchObject({ minimum: min, maximum: max });
        expect(patch[f]!.description).toContain('% of the way from entry to TP');
      }
      expect(doc.components.schemas['RegisterTrade']!.properties!['breakevenPct']).toMatchObject({
        minimum: min,
        maximum: max,
      });
      expect(doc.paths['/api/positions/{ticket}/plan']?.patch?.summary).toContain(
        `% of the way from entry to TP, ${min} to ${max}`,
      );
      expect(doc.info.description).toContain('Triggers are % of the way from entry to TP');
    }
  });

  it('--for chatgpt: within what ChatGPT takes; notes on the operations for ChatGPT; DTMS switch-off left out; changes consequential', async () => {
    const doc = JSON.parse(
      (await warden('openapi', '--for', 'chatgpt', '--server-url', 'https://warden.example.com', '--json')).out,
    ) as Doc;
    for (const ops of Object.values(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary?.length ?? 0, `${op.operationId} summary`).toBeLessThanOrEqual(ACTION_DESCRIPTION_MAX);
        expect(op.description?.length ?? 0, `${op.operationId} description`).toBeLessThanOrEqual(
          ACTION_DESCRIPTION_MAX,
        );
        expect(op['x-openai-isConsequential'], op.operationId).toBe(method === 'get' ? undefined : true);
      }
    }
    for (const [at, d] of descriptions(doc.components)) expect(d.length, at).toBeLessThanOrEqual(700);
    const op = (path: string, method: string) => doc.paths[path]?.[method];
    expect(op('/api/positions/{ticket}/plan', 'patch')?.description).toBe(
      "RMAG thresholds (ATR from EMA200 in the trade's favour): BTCUSD 4, XAUUSD 2, others 2; VWAP at 1.5x. Stretched past it: breakeven 20% / partial 40%. Trend, squeeze, momentum, MTF, liquidity and VWAP rules set or cap them too.",
    );
    expect(op('/api/positions/{ticket}/trailing/start', 'post')?.description).toBe(
      'Trails after breakeven, once the partial is done or at 0.6 R: ATR(M15) x BTCUSD 2, XAUUSD 1.5, EURUSD 1.2, GBPUSD 1.3, USDJPY 1.2, others 1.5; session-adjusted. Over 2 advisory gates (squeeze, MTF, RMAG, VWAP, volume node) failing widen it x1.333; on a real account one without data holds it.',
    );
    expect(op('/api/positions/{ticket}/exits/enable', 'post')?.description).toBe(
      'Breakeven at 1 R of profit unless a % to TP is set: stop to entry + spread - ATR(M15) x buffer (BTCUSD 0.5, XAUUSD 0.3, EURUSD 0.2, GBPUSD 0.25, USDJPY 0.2, others 0.3; session-adjusted), mirrored for a sell; without ATR the buffer is 0.1% of entry.',
    );
    expect(op('/api/positions/{ticket}/dtms/disable', 'post')).toBeUndefined();
    expect(op('/api/shadow/promote', 'post')).toBeUndefined();
    expect(op('/api/positions/{ticket}/dtms/enable', 'post')?.operationId).toBe('enableDtms');
  });

  it("--config: the notes are the config's, never numbers of their own", async () => {
    const file = join(dir, 'warden.yaml');
    writeFileSync(
      file,
      [
        'exits:',
        '  rmag: { thresholds: { BTCUSD: 5, XAUUSD: 2.5, DEFAULT: 3 }, tightenBreakevenPct: 15 }',
        '  fallbackBufferPct: 0.2',
        '  noDataPasses: true',
        '  trailing: { wideFactor: 1.5, maxAdvisoryFailures: 3 }',
        '',
      ].join('\n'),
    );
    const doc = JSON.parse((await warden('openapi', '--config', file, '--json')).out) as Doc;
    const info = doc.info.description ?? '';
    expect(info).toContain('BTCUSD 5, XAUUSD 2.5, others 3');
    expect(info).toContain('breakeven 15% / partial 40%');
    expect(info).toContain('without ATR the buffer is 0.2% of entry');
    expect(info).toContain('Over 3 advisory gates (squeeze, MTF, RMAG, VWAP, volume node) failing widen it x1.5.');
    expect(doc.paths['/api/positions/{ticket}/trailing/start']?.post?.description).not.toContain('without data');
  });

  it('refuses a ChatGPT export without a public https URL, naming the option', async () => {
    expect(await warden('openapi', '--for', 'chatgpt')).toMatchObject({
      code: 2,
      err: 'warden: --for chatgpt needs --server-url https://... (the public address ChatGPT calls; Warden itself listens on loopback)\n',
    });
    expect((await warden('openapi', '--for', 'chatgpt', '--server-url', 'http://127.0.0.1:8080')).err).toContain(
      '--server-url must be an https URL',
    );
    expect((await warden('openapi', '--for', 'claude')).err).toBe('warden: --for accepts chatgpt, got "claude"\n');
  });
});
