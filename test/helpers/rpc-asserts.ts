// Assertions on RPC reply envelopes (SPEC 5.2), shared by the rpc-* integration tests.
import assert from 'node:assert/strict';

export type Reply = { status_code: number; data_type: string; data: any };

/** A voipbin_error reply with this status and reason, whose message names `field` when given. */
export function expectError(reply: Reply, status: number, reason: string, field?: string): void {
  assert.equal(reply.status_code, status, JSON.stringify(reply));
  assert.equal(reply.data_type, 'voipbin_error');
  assert.equal(reply.data.reason, reason);
  assert.equal(reply.data.domain, 'flow-manager');
  if (field) assert.match(reply.data.message, new RegExp(`\\b${field}\\b`), `message names ${field}: ${reply.data.message}`);
}

/** A 200 reply; returns its data. */
export function ok(reply: Reply): any {
  assert.equal(reply.status_code, 200, JSON.stringify(reply));
  return reply.data;
}
