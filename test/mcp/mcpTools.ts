// The tools Warden's MCP server offers, over HTTP and stdio alike.
export const TOOLS = [
  'account_summary',
  'approve_proposal',
  'dtms_status',
  'explain_decision',
  'get_position',
  'get_proposal',
  'list_positions',
  'list_proposals',
  'propose_plan_change',
  'recent_decisions',
  'reject_proposal',
  'set_exits',
  'what_if',
];
