// Placeholder until `db:new` lands (issue 4): refuses clearly instead of pretending.
import { MigrateError } from '../core/errors.js';

export async function newCommand(_argv: string[], _env: NodeJS.ProcessEnv): Promise<number> {
  throw new MigrateError('USAGE', 'db:new is not available yet');
}
