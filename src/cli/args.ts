// Argument parsing shared by every command: strict options, positionals allowed,
// and Node's parse errors turned into our USAGE error (exit 2) with a pointer to --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MigrateError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<const O extends Options>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new MigrateError('USAGE', (error as Error).message, { hint: `See db ${command} --help.` });
  }
}
