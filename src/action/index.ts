import * as core from '@actions/core';
import { isPost } from './state.js';

/**
 * One entry for main and post: the saved `isPost` state says which. Each is loaded only when it
 * runs, so the post step parses only what cleanup needs.
 */
async function entry(): Promise<void> {
  try {
    if (isPost()) await (await import('./post.js')).post();
    else await (await import('./main.js')).main();
  } catch (e) {
    core.setFailed(e instanceof Error ? e.message : String(e));
  }
}

await entry();
