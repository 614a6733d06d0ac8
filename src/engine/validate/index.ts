// Public API of flow validation: parseActions checks the shape of untrusted actions, analyzeFlow
// checks what they mean; both answer with coded diagnostics from the one DIAGNOSTIC_CODES catalog.
export { parseActions, MAX_OPTION_DEPTH, type ParseActionsResult } from './parse-actions.ts';
export { analyzeFlow, type AnalyzeOptions } from './analyze.ts';
export {
  DIAGNOSTIC_CODES,
  createDiagnostic,
  type Diagnostic,
  type DiagnosticCode,
  type Severity,
  type ValidationReport,
} from './diagnostics.ts';
