// `warden openapi`: the API's OpenAPI document validates against the OpenAPI 3.0 JSON schema, and the
// ChatGPT export keeps the action's operations with the public https server it names.
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.ts';
import { CHATGPT_OPERATIONS } from '../../src/cli/commands/openapi.ts';

async function warden(...args: string[]) {
  let out = '';
  let err = '';
  const code = await run(['node', 'warden', ...args], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

type Doc = { openapi: string; servers?: { url: string }[]; paths: Record<string, Record<string, { operationId?: string; security?: unknown }>> };
const operations = (d: Doc) => Object.values(d.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));

describe('warden openapi', () => {
  it('prints a valid OpenAPI 3 document of every operation', async () => {
    const r = await warden('openapi', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Doc;
    const v = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(v).toEqual({ valid: true });
    expect(operations(doc)).toContain('stopPath');
  });

  it('--for chatgpt: YAML with only the action operations and the given https server; a valid document', async () => {
    const r = await warden('openapi', '--for', 'chatgpt', '--server-url', 'https://warden.example.com/');
    expect(r.code).toBe(0);
    const doc = parse(r.out) as Doc;
    expect(await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0])).toEqual({ valid: true });
    expect(doc.servers).toEqual([{ url: 'https://warden.example.com' }]);
    expect(operations(doc).sort()).toEqual([...CHATGPT_OPERATIONS].sort());
    expect(doc.paths['/api/trades']?.post?.security).toEqual([{ bearer: [] }]);
  });

  it('refuses a ChatGPT export without a public https URL, naming the option', async () => {
    expect(await warden('openapi', '--for', 'chatgpt')).toMatchObject({ code: 2, err: 'warden: --for chatgpt needs --server-url https://... (the public address ChatGPT calls; Warden itself listens on loopback)\n' });
    expect((await warden('openapi', '--for', 'chatgpt', '--server-url', 'http://127.0.0.1:8080')).err).toContain('--server-url must be an https URL');
    expect((await warden('openapi', '--for', 'claude')).err).toBe('warden: --for accepts chatgpt, got "claude"\n');
  });
});
