// The effective config as it may be shown (a CLI's output, the API, an agent's resource): secrets set
// in the file are shown as set, never printed (the output may be pasted into a chat or an issue).
import type { WardenConfig } from './schema.ts';

export const HIDDEN = '(set; hidden)';

export function redactedConfig(config: WardenConfig): WardenConfig {
  const c = structuredClone(config);
  if (c.service.token !== undefined) c.service.token = HIDDEN;
  if (c.notify.discord?.webhookUrl !== undefined) c.notify.discord.webhookUrl = HIDDEN;
  if (c.notify.telegram?.botToken !== undefined) c.notify.telegram.botToken = HIDDEN;
  return c;
}
