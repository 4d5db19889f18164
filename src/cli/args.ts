// Argument parsing shared by every command: strict options, positionals allowed,
// and Node's parse errors turned into our USAGE error (exit 2) with a pointer to --help.
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MigrateError } from '../core/errors.js';
import { resolveLimits } from '../core/limits.js';
import type { OptionNames, ProjectOptions } from '../api/config.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The name the command line is run by, in usage lines and hints. */
export const PROGRAM = 'tiered-migrate';

/**
 * Parses a command's arguments. Unknown options and missing values become our own
 * USAGE error (exit 2) naming the option, with the command's usage line.
 */
export function parseCommandArgs<const O extends Options>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const option = /'(-[^' ]+)/.exec((error as Error).message)?.[1] ?? '';
    const message =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${option}`
        : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
          ? `${option} needs a value`
          : (error as Error).message;
    throw new MigrateError('USAGE', message, { hint: `${usageLine(command, options)}\n   See ${PROGRAM} ${command} --help.` });
  }
}

/** `Usage: tiered-migrate status [--root DIR] [--json] …`, from the command's option table. */
export function usageLine(command: string, options: Options): string {
  const flags = Object.entries(options).map(([name, o]) => (o.type === 'string' ? `[--${name} ${name.toUpperCase().replace(/-/g, '_')}]` : `[--${name}]`));
  return `Usage: ${PROGRAM} ${command} ${flags.join(' ')}`;
}

/** Options of every command that reads a project. */
export const PROJECT_FLAGS = {
  root: { type: 'string' },
  theme: { type: 'string' },
  'core-dir': { type: 'string' },
  'no-env-file': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const PROJECT_FLAGS_USAGE = `  --root DIR         project root (default: current folder)
  --theme NAME       active theme (default: NEXT_PUBLIC_ACTIVE_THEME)
  --core-dir DIR     the core tier's folder, for a fork of the core (default: MIGRATE_CORE_DIR,
                     else the core schema shipped with ${PROGRAM})
  --no-env-file      ignore .env, .env.local, .env.<NODE_ENV>, .env.<NODE_ENV>.local`;

/** How the command line names settings in messages. */
export const CLI_OPTION_NAMES: OptionNames = { theme: '--theme', coreDir: '--core-dir', database: 'database' };

/** The project options a command line gives: its flags, and the environment (always read by the command line). */
export function projectOptionsOf(
  values: { root?: string | undefined; theme?: string | undefined; 'core-dir'?: string | undefined; 'no-env-file'?: boolean | undefined },
  env: NodeJS.ProcessEnv,
): ProjectOptions {
  return {
    root: path.resolve(values.root ?? '.'),
    ...(values.theme !== undefined ? { theme: values.theme } : {}),
    ...(values['core-dir'] !== undefined ? { coreDir: values['core-dir'] } : {}),
    env,
    envFiles: !values['no-env-file'],
  };
}

/** Refuses positionals a command does not take. */
export function noExtraArguments(positionals: readonly string[], command: string): void {
  if (positionals.length > 0) throw new MigrateError('USAGE', `unexpected argument "${positionals[0]}"`, { hint: `See ${PROGRAM} ${command} --help.` });
}

/**
 * Takes a flag whose value is optional (`--backup`, `--backup PATH`, `--backup=PATH`)
 * out of `argv`, which parseArgs cannot express: the next argument is its value
 * unless it is an option. For commands without positionals, so nothing is ambiguous.
 */
export function takeOptionalValue(argv: readonly string[], flag: string): { argv: string[]; present: boolean; value: string | null } {
  const rest: string[] = [];
  let present = false;
  let value: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === flag || arg.startsWith(`${flag}=`)) {
      if (present) throw new MigrateError('USAGE', `${flag} is given twice`, { hint: `Pass ${flag} once, with at most one path.` });
      present = true;
      if (arg !== flag) value = arg.slice(flag.length + 1);
      else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) value = argv[++i]!;
      if (value === '') throw new MigrateError('USAGE', `${flag}= needs a path`, { hint: `${flag} alone writes into the default folder.` });
      continue;
    }
    rest.push(arg);
  }
  return { argv: rest, present, value };
}

/**
 * The limit flags as API options, checked here so that a bad value names its flag
 * (USAGE, exit 2); the environment's variables are checked by the run itself.
 */
export function limitFlagsOf(values: { 'lock-timeout'?: string; 'lock-retries'?: string; 'statement-timeout'?: string }): { lockTimeout?: string; lockRetries?: string; statementTimeout?: string } {
  const given = (value: string | undefined, origin: string) => (value === undefined ? undefined : { value, origin });
  resolveLimits({
    lockTimeout: given(values['lock-timeout'], '--lock-timeout'),
    lockRetries: given(values['lock-retries'], '--lock-retries'),
    statementTimeout: given(values['statement-timeout'], '--statement-timeout'),
  });
  return {
    ...(values['lock-timeout'] !== undefined ? { lockTimeout: values['lock-timeout'] } : {}),
    ...(values['lock-retries'] !== undefined ? { lockRetries: values['lock-retries'] } : {}),
    ...(values['statement-timeout'] !== undefined ? { statementTimeout: values['statement-timeout'] } : {}),
  };
}
