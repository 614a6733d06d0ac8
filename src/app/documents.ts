// The JSON text of a settled activeflow, made once per object: its row's `doc` and the `data` of
// the events it settled with are the same text. Safe because a settled activeflow is never
// changed (the engine works on a copy of the state it is given, and the shell only reads it),
// so its text stays right for as long as the object lives.
import type { Activeflow } from '../engine/index.ts';

const texts = new WeakMap<Activeflow, string>();

export function activeflowJson(af: Activeflow): string {
  let text = texts.get(af);
  if (text === undefined) {
    text = JSON.stringify(af);
    texts.set(af, text);
  }
  return text;
}

export const PUBLISHER = 'flow-manager';

/** The text of the SPEC 5.2 event envelope before and after its data. */
export function envelopeAround(type: string): [before: string, after: string] {
  return [`{"type":${JSON.stringify(type)},"publisher":"${PUBLISHER}","data_type":"application/json","data":`, '}'];
}

/** The envelope around data that is JSON text already (the same text as stringifying the whole envelope). */
export function eventBody(type: string, dataJson: string): string {
  const [before, after] = envelopeAround(type);
  return before + dataJson + after;
}
