// Pure planning core: ordering across tiers, naming problems, plan states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MigrationFile, Source, TrackedRow } from '../src/core/types.js';
import { orderForExecution } from '../src/core/order.js';
import { buildPlan, hasErrors } from '../src/core/plan.js';
import { leadingNumber, isSampleData, followsConvention } from '../src/core/naming.js';
import { checksumOf, CHECKSUM_ALGORITHM } from '../src/core/checksum.js';

const core: Source = { tier: 'core', table: '_migrations', sourceType: null, sourceName: null, entity: null, entityDepth: 0, dir: 'migrations', entityDir: null };
const content = (tier: Source['tier'], type: string, name: string, dir: string): Source => ({
  tier, table: '_content_migrations', sourceType: type, sourceName: name, entity: null, entityDepth: 0, dir, entityDir: null,
});
const entity = (type: 'theme' | 'plugin', owner: string, name: string, depth: number, entityDir: string): Source => ({
  tier: 'entity', table: '_entity_migrations', sourceType: type, sourceName: owner, entity: name, entityDepth: depth, dir: `${entityDir}/migrations`, entityDir,
});
const file = (source: Source, filename: string, content = `-- ${filename}`): MigrationFile => ({
  source, filename, path: `${source.dir}/${filename}`, number: leadingNumber(filename), content, checksum: checksumOf(content), sampleData: isSampleData(filename),
});

const theme = content('theme', 'theme', 'default', 'contents/themes/default/migrations');
const themeSettings = content('theme-settings', 'theme-settings', 'default/settings/branding', 'contents/themes/default/settings/branding/migrations');
const billing = content('plugin', 'plugin', 'billing', 'contents/plugins/billing/migrations');
const ai = content('plugin', 'plugin', 'ai', 'contents/plugins/ai/migrations');
const tasks = entity('theme', 'default', 'tasks', 0, 'contents/themes/default/entities/tasks');
const subtasks = entity('theme', 'default', 'subtasks', 1, 'contents/themes/default/entities/tasks/children/subtasks');
const completions = entity('plugin', 'ai', 'completions', 0, 'contents/plugins/ai/entities/completions');
const alpha = entity('plugin', 'billing', 'alpha', 0, 'contents/plugins/billing/entities/alpha');
const sources = [core, theme, themeSettings, billing, ai, tasks, subtasks, completions, alpha];
const sourceOrder = new Map(sources.map((s, i) => [s.dir, i]));

test('orders core → theme → theme settings → plugins in theme order → entities → sample data', () => {
  const files = [
    file(alpha, '001_create_alpha.sql'),
    file(tasks, '002_add_priority.sql'),
    file(subtasks, '001_create_subtasks.sql'),
    file(completions, '001_create_completions.sql'),
    file(tasks, '001_create_tasks.sql'),
    file(tasks, '010_big_number.sql'),
    file(tasks, '003_sample_data.sql'),
    file(theme, '002_sample-data.sql'),
    file(ai, '001_ai.sql'),
    file(billing, '001_billing.sql'),
    file(themeSettings, '001_branding.sql'),
    file(theme, '001_theme_setup.sql'),
    file(core, '010_ten.sql'),
    file(core, '002_two.sql'),
    file(core, '999a_initial_data.sql'),
    file(core, '001_one.sql'),
  ];
  const ordered = orderForExecution(files, sourceOrder).map((f) => f.path.replace(/^contents\//, ''));
  assert.deepEqual(ordered, [
    'migrations/001_one.sql',
    'migrations/002_two.sql',
    'migrations/010_ten.sql',
    'migrations/999a_initial_data.sql',
    'themes/default/migrations/001_theme_setup.sql',
    'themes/default/settings/branding/migrations/001_branding.sql',
    'plugins/billing/migrations/001_billing.sql',
    'plugins/ai/migrations/001_ai.sql',
    // every 001_ before any 002_; parent before child; theme before plugin; then entity name
    'themes/default/entities/tasks/migrations/001_create_tasks.sql',
    'plugins/billing/entities/alpha/migrations/001_create_alpha.sql',
    'plugins/ai/entities/completions/migrations/001_create_completions.sql',
    'themes/default/entities/tasks/children/subtasks/migrations/001_create_subtasks.sql',
    'themes/default/entities/tasks/migrations/002_add_priority.sql',
    // numbers compare as numbers: 010 after 002
    'themes/default/entities/tasks/migrations/010_big_number.sql',
    // content sample data, then entity sample data, after every schema file
    'themes/default/migrations/002_sample-data.sql',
    'themes/default/entities/tasks/migrations/003_sample_data.sql',
  ]);
});

test('numbers compare numerically, not as text', () => {
  const files = [file(core, '0100_x.sql'), file(core, '099_y.sql'), file(core, '1000_z.sql')];
  assert.deepEqual(orderForExecution(files, sourceOrder).map((f) => f.filename), ['099_y.sql', '0100_x.sql', '1000_z.sql']);
});

test('naming rules: convention, leading number, sample data', () => {
  assert.equal(followsConvention('001_create_tasks.sql'), true);
  assert.equal(followsConvention('003_AddIndex.sql'), false);
  assert.equal(followsConvention('01_short.sql'), false);
  assert.equal(leadingNumber('999a_initial_data.sql'), 999n);
  assert.equal(leadingNumber('init.sql'), null);
  assert.equal(isSampleData('004_users_sample_data.sql'), true);
  assert.equal(isSampleData('004_sample-data.sql'), true);
  assert.equal(isSampleData('004_samples.sql'), false);
});

const options = { sampleData: true, strictOrder: false, allowMissing: false };
const row = (f: MigrationFile, checksum: string | null = f.checksum): TrackedRow => ({
  table: f.source.table, sourceType: f.source.sourceType, sourceName: f.source.sourceName, entity: f.source.entity, filename: f.filename, checksum, checksumAlgorithm: checksum ? CHECKSUM_ALGORITHM : null,
});

test('plan: applied, pending, modified, adopted checksums', () => {
  const a = file(core, '001_a.sql', 'SELECT 1;');
  const b = file(core, '002_b.sql', 'SELECT 2;');
  const c = file(core, '003_c.sql', 'SELECT 3;');
  const plan = buildPlan([a, b, c], sources, [row(a), row(b, null)], options);
  assert.deepEqual(plan.items.map((i) => i.state), ['applied', 'applied', 'pending']);
  assert.equal(plan.items[1]!.adoptChecksum, true);
  assert.equal(hasErrors(plan), false);

  const edited = file(core, '001_a.sql', 'SELECT 42;');
  const tampered = buildPlan([edited], sources, [row(a)], options);
  assert.equal(tampered.items[0]!.state, 'modified');
  assert.equal(hasErrors(tampered), true);
  assert.match(tampered.problems.find((p) => p.code === 'modified')!.message, /001_a\.sql was changed/);
});

test('plan: CRLF and a BOM are not modifications', () => {
  const lf = file(core, '001_a.sql', 'CREATE TABLE a (id int);\nSELECT 1;\n');
  const crlfBom = file(core, '001_a.sql', '\uFEFFCREATE TABLE a (id int);\r\nSELECT 1;\r\n');
  assert.equal(lf.checksum, crlfBom.checksum);
  const plan = buildPlan([crlfBom], sources, [row(lf)], options);
  assert.equal(plan.items[0]!.state, 'applied');
  assert.equal(hasErrors(plan), false);
});

test('plan: missing files of active sources are errors unless allowed; inactive sources are listed', () => {
  const a = file(core, '001_a.sql');
  const gone: TrackedRow = { ...row(a), filename: '002_gone.sql' };
  const otherTheme: TrackedRow = { table: '_content_migrations', sourceType: 'theme', sourceName: 'minimal', entity: null, filename: '001_x.sql', checksum: null, checksumAlgorithm: null };
  const plan = buildPlan([a], sources, [row(a), gone, otherTheme], options);
  assert.deepEqual(plan.missing.map((r) => r.filename), ['002_gone.sql']);
  assert.deepEqual(plan.inactive.map((r) => r.sourceName), ['minimal']);
  assert.equal(hasErrors(plan), true);
  assert.equal(hasErrors(buildPlan([a], sources, [row(a), gone], { ...options, allowMissing: true })), false);
});

test('plan: a pending file numbered below an applied one is out of order (warning, or error when strict)', () => {
  const one = file(core, '001_a.sql');
  const two = file(core, '002_b.sql');
  const three = file(core, '003_c.sql');
  const plan = buildPlan([one, two, three], sources, [row(one), row(three)], options);
  assert.equal(plan.items[1]!.outOfOrder, true);
  assert.equal(plan.problems.find((p) => p.code === 'out-of-order')!.severity, 'warning');
  const strict = buildPlan([one, two, three], sources, [row(one), row(three)], { ...options, strictOrder: true });
  assert.equal(hasErrors(strict), true);
});

test('plan: sample data is skipped, not recorded, when disabled', () => {
  const s = file(tasks, '004_sample_data.sql');
  const plan = buildPlan([s], sources, [], { ...options, sampleData: false });
  assert.equal(plan.items[0]!.state, 'sample-data-skipped');
});

test('plan: unnumbered files are errors; convention, duplicates and gaps are warnings', () => {
  const plan = buildPlan(
    [file(core, 'init.sql'), file(core, '001_a.sql'), file(core, '001_b.sql'), file(core, '003_AddIndex.sql')],
    sources, [], options,
  );
  const codes = plan.problems.map((p) => `${p.severity}:${p.code}`).sort();
  assert.deepEqual(codes, ['error:unnumbered-file', 'warning:duplicate-number', 'warning:naming', 'warning:sequence-gap']);
});

test('plan: two entities with one name in different folders collide', () => {
  const twin = entity('plugin', 'billing', 'tasks', 0, 'contents/plugins/billing/entities/tasks');
  const plan = buildPlan([], [...sources, twin], [], options);
  const collision = plan.problems.find((p) => p.code === 'entity-collision');
  assert.ok(collision);
  assert.match(collision.message, /contents\/themes\/default\/entities\/tasks/);
  assert.match(collision.message, /contents\/plugins\/billing\/entities\/tasks/);
});
