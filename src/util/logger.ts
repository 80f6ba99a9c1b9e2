import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino'

export type { Logger }

/**
 * JSON logs for operators. Never log keys or tokens; reported URLs only at debug level.
 * `HASHFED_LOG_LEVEL` overrides the level (default info).
 */
export function createLogger (bindings: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: process.env.HASHFED_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    redact: { paths: ['token', '*.token', 'key', '*.key', 'authorization', '*.authorization'], censor: '[redacted]' }
  }
  return (destination === undefined ? pino(options) : pino(options, destination)).child(bindings)
}
