// The clientId MetaApi carries for each of Warden's requests: derived from the intent id, so a retry
// of an unknown answer finds its own deals by it. MetaApi allows 26 characters for the comment and
// the clientId together (the SDK's TradeOptions; its position model says 30, the smaller is kept).
import { createHash } from 'node:crypto';

/** MetaApi: comment + clientId <= 26 characters. */
export const CLIENT_ID_ROOM = 26;
const CLIENT_ID_MAX = 16;
const CLIENT_ID_MIN = 8;
const CLIENT_ID_PREFIX = 'WD_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * The clientId of an intent's request: 'WD_' + base62 of the id's SHA-256, as long as the comment
 * leaves room for (at most 16); undefined when fewer than 8 characters are left.
 */
export function clientIdFor(intentId: string, comment = ''): string | undefined {
  const room = Math.min(CLIENT_ID_MAX, CLIENT_ID_ROOM - comment.length);
  if (room < CLIENT_ID_MIN) return undefined;
  const digest = createHash('sha256').update(intentId, 'utf8').digest();
  let body = '';
  for (const byte of digest) {
    if (body.length >= room - CLIENT_ID_PREFIX.length) break;
    body += BASE62[byte % 62];
  }
  return CLIENT_ID_PREFIX + body;
}
