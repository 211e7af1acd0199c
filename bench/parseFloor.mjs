// The floor a replay is measured against (`npm run bench`): the least any replay must do with a bar
// file, as plain as it can be written. Read the file in 4 MiB steps, parse each row's time and prices
// from the bytes, and fold an ATR(14): nothing kept, nothing written. Run as its own process, like
// `warden replay`, so both figures include starting node.
// Usage: node bench/parseFloor.mjs FILE (a uniform CSV: time,open,high,low,close,volume,spread).
import { closeSync, openSync, readSync } from 'node:fs';

const fd = openSync(process.argv[2], 'r');
const buf = Buffer.allocUnsafe(4 << 20);
let carry = 0;
let rows = 0;
let atr = NaN;
let prevClose = NaN;
let sum = 0;
let header = true;
let lastTime = 0;

/** A plain decimal from bytes (the bench's files have no exponents or blanks). */
function decimal(b, s, e) {
  let m = 0;
  let scale = 1;
  let frac = false;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 46) frac = true;
    else {
      m = m * 10 + (c - 48);
      if (frac) scale *= 10;
    }
  }
  return m / scale;
}

const digits2 = (b, i) => (b[i] - 48) * 10 + (b[i + 1] - 48);

for (;;) {
  const got = readSync(fd, buf, carry, buf.length - carry, null);
  if (got === 0) break;
  const end = carry + got;
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(10, pos);
    if (nl === -1 || nl >= end) break;
    if (header) {
      header = false;
      pos = nl + 1;
      continue;
    }
    // YYYY-MM-DDTHH:MM:SSZ,open,high,low,close,...
    const year = digits2(buf, pos) * 100 + digits2(buf, pos + 2);
    lastTime = Date.UTC(
      year,
      digits2(buf, pos + 5) - 1,
      digits2(buf, pos + 8),
      digits2(buf, pos + 11),
      digits2(buf, pos + 14),
      digits2(buf, pos + 17),
    );
    const c1 = buf.indexOf(44, pos + 21);
    const c2 = buf.indexOf(44, c1 + 1);
    const c3 = buf.indexOf(44, c2 + 1);
    const c4 = buf.indexOf(44, c3 + 1);
    const high = decimal(buf, c1 + 1, c2);
    const low = decimal(buf, c2 + 1, c3);
    const close = decimal(buf, c3 + 1, c4);
    const tr = Number.isNaN(prevClose)
      ? high - low
      : Math.max(high - low, Math.abs(high - prevClose), Math.abs(low - prevClose));
    rows++;
    if (rows <= 14) {
      sum += tr;
      if (rows === 14) atr = sum / 14;
    } else atr = (atr * 13 + tr) / 14;
    prevClose = close;
    pos = nl + 1;
  }
  carry = end - pos;
  buf.copy(buf, 0, pos, end);
}
closeSync(fd);
console.log(JSON.stringify({ rows, atr, lastTime }));
