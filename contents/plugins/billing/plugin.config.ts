// Configuration of the billing plugin. Its schema (plans, subscriptions) is
// plugin-level: contents/plugins/billing/migrations.

/** The shape every plugin's config follows. */
export interface PluginConfig {
  /** Folder name under contents/plugins/. */
  name: string;
  displayName: string;
  description: string;
  version: string;
  /** Entity folders under entities/. */
  entities: readonly string[];
}

/** Public plans and per-user subscriptions, written by the payment provider's webhooks. */
export const pluginConfig: PluginConfig = {
  name: 'billing',
  displayName: 'Billing',
  description: 'Plans everyone can read and one live subscription per user.',
  version: '1.0.0',
  entities: [],
};

export default pluginConfig;
