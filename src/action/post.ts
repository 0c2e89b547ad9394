import * as core from '@actions/core';
import { State } from './state.js';

/** Post step: runs at job end, also after failure or cancellation of main. */
export async function post(): Promise<void> {
  const cluster = core.getState(State.ClusterName);
  if (!cluster) {
    core.info('Nothing to clean up: main created no cluster.');
    return;
  }
}
