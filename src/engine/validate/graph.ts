// The control-flow graph of a flow as the engine walks it (SPEC 2.1, 3.1): which action can follow
// which. Reachability and busy-loop detection are computed on it.
import { isAllowedFor, isHandedOffType } from '../action-types.ts';
import { ZERO_ID, type Action, type ReferenceType } from '../types.ts';
import { isDynamic, isRecord, optionOf, targetRefs } from './targets.ts';

/** A possible move to the action at `to`; `bounded` when it can be taken only finitely often. */
export interface Edge {
  to: number;
  bounded: boolean;
}

/**
 * Per action: its possible successors, whether it has a template target (any action may follow),
 * and whether the engine stops there to wait for the outside world.
 */
export interface FlowGraph {
  edges: Edge[][];
  dynamic: boolean[];
  waits: boolean[];
}

/** Types that stop the engine's loop besides the handed-off ones: a block waits, a fetch does IO. */
const WAITING_FLOW_CONTROL: ReadonlySet<string> = new Set(['block', 'fetch', 'fetch_flow']);

/** Builds the graph; `ids` maps each id to its first action, as the engine resolves targets. */
export function buildGraph(
  actions: readonly Action[],
  ids: ReadonlyMap<string, number>,
  referenceType: ReferenceType | undefined,
): FlowGraph {
  const edges = actions.map((action, index) => successors(action, index, actions.length, ids));
  const dynamic = actions.map((action) => targetRefs(action).some((ref) => isDynamic(ref.value)));
  const waits = actions.map((action) => {
    const skipped = referenceType !== undefined && !isAllowedFor(action.type, referenceType);
    return !skipped && (isHandedOffType(action.type) || WAITING_FLOW_CONTROL.has(action.type));
  });
  return { edges, dynamic, waits };
}

function successors(action: Action, index: number, count: number, ids: ReadonlyMap<string, number>): Edge[] {
  const option = optionOf(action);
  const out: Edge[] = [];
  const add = (to: number | undefined, bounded = false): void => {
    if (to !== undefined) out.push({ to, bounded });
  };
  const target = (value: unknown): number | undefined =>
    typeof value === 'string' && value !== ZERO_ID ? ids.get(value) : undefined;
  // The next action: an explicit next_id (a missing one ends the flow), else the next in the list.
  const next =
    action.next_id !== ZERO_ID ? ids.get(action.next_id) : index + 1 < count ? index + 1 : undefined;
  switch (action.type) {
    case 'stop':
      break;
    case 'goto': {
      const loopCount = option['loop_count'];
      if (typeof loopCount === 'number' && loopCount > 0) add(target(option['target_id']), true);
      add(next);
      break;
    }
    case 'branch': {
      const targetIds = option['target_ids'];
      if (isRecord(targetIds)) for (const value of Object.values(targetIds)) add(target(value));
      const fallback = target(option['default_target_id']);
      const hasDefault =
        typeof option['default_target_id'] === 'string' && option['default_target_id'] !== ZERO_ID;
      add(hasDefault ? fallback : next);
      break;
    }
    case 'condition_variable':
    case 'condition_datetime':
      add(next);
      add(target(option['false_target_id']));
      break;
    case 'block':
      add(next);
      add(target(option['timeout_target_id']));
      break;
    case 'fetch':
    case 'fetch_flow':
      add(next);
      add(target(option['error_target_id']));
      break;
    default:
      add(next);
  }
  return out;
}

/** Indexes of the actions no path from the first action reaches (none when a reached target is a template). */
export function unreachable(graph: FlowGraph): number[] {
  const count = graph.edges.length;
  if (count === 0) return [];
  const seen = new Array<boolean>(count).fill(false);
  const queue = [0];
  seen[0] = true;
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    if (graph.dynamic[node]) return [];
    for (const edge of graph.edges[node]!) {
      if (!seen[edge.to]) {
        seen[edge.to] = true;
        queue.push(edge.to);
      }
    }
  }
  return seen.flatMap((reached, index) => (reached ? [] : [index]));
}

/**
 * Cycles the engine could run without ever waiting: strongly connected sets of non-waiting
 * actions over unbounded edges (a goto with loop_count > 0 eventually falls through, so its jump
 * does not close a loop). Each cycle is sorted; cycles are ordered by their first index.
 */
export function busyLoops(graph: FlowGraph): number[][] {
  const adjacency = graph.edges.map((edges, from) =>
    graph.waits[from] ? [] : edges.filter((e) => !e.bounded && !graph.waits[e.to]).map((e) => e.to),
  );
  return stronglyConnected(adjacency)
    .filter((scc) => scc.length > 1 || adjacency[scc[0]!]!.includes(scc[0]!))
    .map((scc) => scc.sort((a, b) => a - b))
    .sort((a, b) => a[0]! - b[0]!);
}

/** Tarjan's algorithm, iterative so a long flow cannot overflow the call stack. */
function stronglyConnected(adjacency: number[][]): number[][] {
  const count = adjacency.length;
  const order = new Array<number>(count).fill(-1);
  const low = new Array<number>(count).fill(0);
  const onStack = new Array<boolean>(count).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < count; root++) {
    if (order[root] !== -1) continue;
    const work = [{ node: root, edge: 0 }];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const v = frame.node;
      const out = adjacency[v]!;
      if (frame.edge < out.length) {
        const w = out[frame.edge++]!;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ node: w, edge: 0 });
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, order[w]!);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low[parent.node] = Math.min(low[parent.node]!, low[v]!);
      if (low[v] === order[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component.push(w);
        } while (w !== v);
        components.push(component);
      }
    }
  }
  return components;
}
