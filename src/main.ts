// Composition root: reads the config, starts a worker, and turns SIGTERM/SIGINT into a clean stop.
import { pino } from 'pino';
import { loadConfig } from './config.ts';
import { startWorker } from './worker.ts';

const bootLogger = pino({ base: { service: 'flow-manager' } });
let config;
try {
  config = loadConfig();
} catch (err) {
  bootLogger.fatal({ err }, 'bad configuration');
  process.exit(2);
}
const logger = pino({ level: config.logLevel, base: { service: 'flow-manager' } });
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

try {
  const worker = await startWorker(config, logger);
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    force.unref();
    worker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
}
