// Flows shared by integration tests.

/** A readable action id for tests: `id(3)` = 00000000-0000-4000-8000-000000000003. */
export const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The call IVR of issues 2 and 3: answer -> talk -> digits_receive -> branch ("1" sales, else support) -> hangup. */
export const CALL_IVR = [
  { id: id(1), type: 'answer' },
  { id: id(2), type: 'talk', option: { text: 'welcome ${voipbin.activeflow.reference_type}' } },
  { id: id(3), type: 'digits_receive', option: { length: 1 } },
  { id: id(4), type: 'branch', option: { target_ids: { '1': id(5) }, default_target_id: id(6) } },
  { id: id(5), type: 'talk', next_id: id(7), option: { text: 'sales' } },
  { id: id(6), type: 'talk', option: { text: 'support' } },
  { id: id(7), type: 'hangup' },
];
