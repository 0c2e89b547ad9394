import * as core from '@actions/core';
import { main } from './main.js';
import { post } from './post.js';
import { isPost } from './state.js';

/** One bundle for main and post: the saved `isPost` state says which. */
async function entry(): Promise<void> {
  try {
    await (isPost() ? post() : main());
  } catch (e) {
    core.setFailed(e instanceof Error ? e.message : String(e));
  }
}

await entry();
