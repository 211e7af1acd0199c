// The HTTP API's request and response schemas (zod): fastify validates requests and serializes
// responses with them, and the OpenAPI document (/openapi.json) is generated from them. Import them
// from here: the document lists its components in the order their schemas are defined, and this
// module loads the parts in that order (open positions, closed trades, the account, plan proposals),
// so a part imported on its own first would reorder the published document.
export * from './apiPositionSchemas.ts';
export * from './apiClosedTradeSchemas.ts';
export * from './apiAccountSchemas.ts';
export * from './apiProposalSchemas.ts';
