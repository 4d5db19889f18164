// Configuration of the ai plugin. Its schema lives in its entities
// (entities/completions/migrations); the plugin has no plugin-level migrations.

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

/** AI completions recorded per user, with token counts and cost. */
export const pluginConfig: PluginConfig = {
  name: 'ai',
  displayName: 'AI',
  description: 'AI completions per user: model, prompt, output, tokens and cost.',
  version: '1.0.0',
  entities: ['completions'],
};

export default pluginConfig;
