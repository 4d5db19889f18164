// Placeholder until `db:verify` lands (issue 4): refuses clearly instead of pretending.
import { MigrateError } from '../core/errors.js';

export async function verifyCommand(_argv: string[], _env: NodeJS.ProcessEnv): Promise<number> {
  throw new MigrateError('USAGE', 'db:verify is not available yet');
}
