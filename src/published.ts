/**
 * Where this project is published. Users take the action as `OWNER/calico-istio-conformance@v0`
 * (README, action.yml: the major tag moves with each v0 release), so the schemas are served from the
 * same repository at the same tag: a suite's `yaml-language-server` modeline keeps working for every
 * release its `uses:` line can pick. One place to change when the repository gets its real owner.
 */
export const PUBLISHED_REPOSITORY = 'OWNER/calico-istio-conformance';
export const PUBLISHED_TAG = 'v0';

/** A raw URL of a file of this repository at the published tag (served as text/plain, which editors accept). */
export const publishedFileUrl = (path: string) =>
  `https://raw.githubusercontent.com/${PUBLISHED_REPOSITORY}/${PUBLISHED_TAG}/${path}`;

export const SUITE_SCHEMA_PATH = 'schemas/suite.schema.json';
export const RESULTS_SCHEMA_PATH = 'schemas/results.schema.json';
/** The `$id` of each published schema, and the URL a suite's modeline names. */
export const SUITE_SCHEMA_URL = publishedFileUrl(SUITE_SCHEMA_PATH);
export const RESULTS_SCHEMA_URL = publishedFileUrl(RESULTS_SCHEMA_PATH);
