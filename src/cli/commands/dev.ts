// `tiered-migrate dev`: migrate the embedded database, serve it on a local port
// over the PostgreSQL protocol, apply migration files as they are saved.
import { MigrateError } from '../../core/errors.js';
import { resolveConfig } from '../../api/config.js';
import { errorReport } from '../../run/result.js';
import { DEFAULT_DEV_HOST, DEFAULT_DEV_PORT, startDev, type DevEvent } from '../../dev/server.js';
import { humanReporter } from '../reporters/human.js';
import { changeReporter } from '../reporters/dev.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError, type Output } from '../output.js';

const USAGE = `Usage: ${PROGRAM} dev [options]

Migrates the embedded database (<root>/.pglite, or the pglite:<dir> of
MIGRATE_DATABASE_URL / DATABASE_URL), then serves that same database over the
PostgreSQL protocol on ${DEFAULT_DEV_HOST}:${DEFAULT_DEV_PORT} and prints the DATABASE_URL for the
app. While it serves, migration files saved in contents/ and the core folder are
applied within a second or two (after the connected client's open transaction, if
any); a change to an applied file is reported, never applied. A failed file does not
stop dev: fix it and save it again. A server URL in
DATABASE_URL is ignored: dev always serves the embedded database.

One client at a time: the embedded database is a single PostgreSQL session. A second
client that connects while another is connected waits (dev prints a notice) and is let
in when the first disconnects; use one connection in the app (a pool with max: 1).
A client that disconnects inside a transaction has it rolled back, and its session
settings are reset, before the next client is let in.

Options:
${PROJECT_FLAGS_USAGE}
  --port N           port to listen on (default ${DEFAULT_DEV_PORT}; 0: any free port)
  --host HOST        address to listen on (default ${DEFAULT_DEV_HOST}; the server has no password)
  --sample-data      run *sample_data* files even when NODE_ENV=production
  --no-sample-data   never run *sample_data* files
  -h, --help         show this help

Ctrl-C or SIGTERM stops it: clients are disconnected, the database is closed, exit 0.

Exit codes: 0 stopped · 2 usage or configuration error (port in use, database in use)`;

export async function devCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const output = makeOutput({ json: false, env });
  const { style } = output;
  try {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...PROJECT_FLAGS, port: { type: 'string' }, host: { type: 'string' }, 'sample-data': { type: 'boolean' }, 'no-sample-data': { type: 'boolean' } },
      'dev',
    );
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, 'dev');
    if (values['sample-data'] && values['no-sample-data']) {
      throw new MigrateError('USAGE', '--sample-data and --no-sample-data contradict each other', { hint: 'Pass at most one of them.' });
    }
    const port = values.port === undefined ? DEFAULT_DEV_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MigrateError('USAGE', `--port needs a port number, not "${values.port}"`, { hint: `See ${PROGRAM} dev --help.` });
    const options = { ...projectOptionsOf(values, env), ...(values['sample-data'] ? { sampleData: true } : values['no-sample-data'] ? { sampleData: false } : {}) };
    const config = resolveConfig(options, CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);

    const server = await startDev(config, {
      host: values.host ?? DEFAULT_DEV_HOST,
      port,
      migrate: options,
      reporter: (run) => (run === 'start' ? humanReporter(output.out, output.err, style) : changeReporter(output.out, output.err, style)),
      onEvent: (event) => printDevEvent(output, event),
    });

    // Runs until Ctrl-C or SIGTERM; a second signal exits at once.
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = () => {
        if (stopping) process.exit(0);
        stopping = true;
        output.out('');
        output.out('🛑 Stopping: closing the connections and the database…');
        server.close().then(resolve, (error: unknown) => {
          output.err(style.red(`❌ ${(error as Error).message}`));
          resolve();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    output.out('👋 Stopped; the embedded database is closed.');
    output.flush();
    return 0;
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    printError(output.err, style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}

function printDevEvent(output: Output, event: DevEvent): void {
  const { style } = output;
  switch (event.type) {
    case 'server-url-ignored':
      output.out(style.yellow(`⚠️  ${event.origin} names a server: dev ignores it and serves the embedded database`));
      break;
    case 'serving':
      output.out('');
      output.out(style.bold(`🟢 Serving ${event.dir ? event.dir : 'the in-memory database'} on ${event.host}:${event.port}`));
      output.out(`   DATABASE_URL=${event.url}`);
      output.out(style.dim('   One client at a time; Ctrl-C stops.'));
      break;
    case 'watching':
      output.out(style.dim(`👀 Watching ${event.dirs.join(', ')} for migration files`));
      break;
    case 'changed':
      output.out(`📝 Changed: ${event.files.join(', ')}`);
      break;
    case 'waiting-for-transaction':
      output.out(style.yellow('⏳ A client has a transaction open: the change is applied when it ends'));
      break;
    case 'watch-error':
      output.err(style.red(`❌ watching stopped working: ${event.message}`));
      break;
    case 'client:connected':
      output.out(style.dim(`🔌 client #${event.id} connected${event.application ? ` (${event.application})` : ''}${event.waitedMs > 250 ? ` after waiting ${(event.waitedMs / 1000).toFixed(1)} s` : ''}`));
      break;
    case 'client:waiting':
      output.out(style.yellow(`⏳ a second client connected (#${event.id}); it waits until the first (#${event.servedId}) disconnects`));
      break;
    case 'client:disconnected':
      output.out(style.dim(`🔌 client #${event.id} disconnected${event.rolledBack ? ': its open transaction was rolled back' : ''}`));
      break;
    case 'client:error':
      output.err(style.red(`❌ client #${event.id}: ${event.message}`));
      break;
  }
}
