/**
 * A strategy template's name: lower-case letters, digits and _, as the original bot spelled its
 * strategy_type values. A name given elsewhere (the API, a comment, a symbol's entry) is normalised
 * first: the original sometimes wrote them in capitals (DEFAULT_STANDARD), and a dash or a space is
 * an easy slip for the underscore.
 */
export const STRATEGY_NAME = /^[a-z0-9_]+$/;
export const normaliseStrategyName = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
