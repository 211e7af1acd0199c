/** True when dist/ was built after the last change under src/ (see buildIsCurrent.mjs). */
export function buildIsCurrent(): boolean;
