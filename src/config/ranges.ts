// The numeric ranges the config's fields are checked against, shared by its sections. A value outside
// its range is refused with the range in the message; nothing is clamped.
import { z } from 'zod';

export const range = (min: number, max: number) =>
  z
    .number({ error: `must be a number between ${min} and ${max}` })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` });

/** A trail distance in ATR: 0.5 to 3.0. */
export const trailingMultiplier = () => range(0.5, 3.0);
/** A breakeven buffer in ATR: 0.1 to 1.0. */
export const bufferMultiplier = () => range(0.1, 1.0);
/** A percentage, 0 to 100. */
export const percent = () => range(0, 100);
