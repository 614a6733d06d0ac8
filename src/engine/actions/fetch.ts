// fetch and fetch_flow hand their IO to the shell and resume with its result (see run.ts).
import type { Handler } from './handler.ts';

/** `fetch`: asks the shell for an HTTP request whose reply is a list of actions to push. */
export const fetchHandler: Handler<'fetch'> = ({ draft, option }) => ({
  kind: 'io',
  note: `${option.event_method} ${option.event_url}`,
  request: {
    kind: 'http',
    method: option.event_method,
    url: option.event_url,
    timeout_ms: option.timeout_ms,
    body: {
      activeflow_id: draft.activeflow.id,
      reference_type: draft.activeflow.reference_type,
      reference_id: draft.activeflow.reference_id,
      variables: { ...draft.variables },
    },
  },
});

/** `fetch_flow`: asks the shell for the actions of another flow of the same customer. */
export const fetchFlowHandler: Handler<'fetch_flow'> = ({ draft, option }) => ({
  kind: 'io',
  note: `flow ${option.flow_id}`,
  request: { kind: 'flow', flow_id: option.flow_id, customer_id: draft.activeflow.customer_id },
});
