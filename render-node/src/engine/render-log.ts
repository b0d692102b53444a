/** What the engine logs through: pino's `(fields, message)` shape, so a pino logger fits as is. */
export interface RenderLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const silentLog: RenderLog = { info() {}, warn() {} };
