// What a flowctl command talks to: its output streams, the environment and a stop signal.

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** Aborted on SIGINT/SIGTERM: long-running commands (`events`) stop and exit 0. */
  signal: AbortSignal;
}

/** Pretty-printed JSON, as every command prints its result. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
