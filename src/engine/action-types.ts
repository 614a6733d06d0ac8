// The closed set of action types (SPEC 3) and where each may run (SPEC 3.3).
import type { ReferenceType } from './types.ts';

/** Types the engine runs itself (SPEC 3.1). */
export const FLOW_CONTROL_TYPES = [
  'goto',
  'branch',
  'condition_variable',
  'condition_datetime',
  'variable_set',
  'stop',
  'block',
  'empty',
  'fetch',
  'fetch_flow',
] as const;
export type FlowControlType = (typeof FLOW_CONTROL_TYPES)[number];

/** Types handed to the service that owns the call or message (SPEC 3.2). */
export const HANDED_OFF_TYPES = [
  'answer',
  'talk',
  'play',
  'beep',
  'digits_receive',
  'digits_send',
  'hangup',
  'recording_start',
  'recording_stop',
  'sleep',
  'amd',
  'echo',
  'stream_echo',
  'mute',
  'confbridge_join',
  'conference_join',
  'queue_join',
  'connect',
  'call',
  'external_media_start',
  'external_media_stop',
  'transcribe_start',
  'transcribe_stop',
  'transcribe_recording',
  'message_send',
  'email_send',
  'webhook_send',
  'conversation_send',
  'ai_talk',
  'ai_summary',
  'ai_task',
] as const;
export type HandedOffType = (typeof HANDED_OFF_TYPES)[number];

export type ActionType = FlowControlType | HandedOffType;

const REAL_TIME_ONLY: ReadonlySet<string> = new Set([
  'answer',
  'talk',
  'play',
  'beep',
  'digits_receive',
  'digits_send',
  'hangup',
  'recording_start',
  'recording_stop',
  'sleep',
  'amd',
  'echo',
  'stream_echo',
  'mute',
  'confbridge_join',
  'conference_join',
  'queue_join',
  'connect',
  'external_media_start',
  'external_media_stop',
  'transcribe_start',
  'transcribe_stop',
]);
const NON_REAL_TIME_ONLY: ReadonlySet<string> = new Set(['block', 'ai_summary', 'ai_task']);

const flowControl: ReadonlySet<string> = new Set(FLOW_CONTROL_TYPES);
const handedOff: ReadonlySet<string> = new Set(HANDED_OFF_TYPES);

export function isFlowControlType(type: string): type is FlowControlType {
  return flowControl.has(type);
}
export function isHandedOffType(type: string): type is HandedOffType {
  return handedOff.has(type);
}
export function isKnownType(type: string): type is ActionType {
  return flowControl.has(type) || handedOff.has(type);
}

/** True when `call` is the reference: the only real-time medium (SPEC 3.3). */
export function isRealTime(referenceType: ReferenceType): boolean {
  return referenceType === 'call';
}

/** Whether an action of `type` may run for an activeflow of `referenceType` (SPEC 3.3). */
export function isAllowedFor(type: string, referenceType: ReferenceType): boolean {
  if (!isKnownType(type)) return false;
  if (isRealTime(referenceType)) return !NON_REAL_TIME_ONLY.has(type);
  return !REAL_TIME_ONLY.has(type);
}
