import * as core from '@actions/core';
import { resolve } from 'node:path';
import { neutralise } from '../exec/untrusted.js';

/**
 * `mode: check`: the suite's expectations (the `suite` input, else the built-in one) against the policy
 * oracle under `calico-version`; no cluster, no Docker, no network. The truth table goes to the log and
 * the job summary; a disagreement fails the step, bad input fails it with the file, line and field.
 */
export async function checkMode(): Promise<void> {
  const [{ loadSuite, SuiteError }, { checkSuite, checkText, SuiteCheckError }, { defaultSuiteFile }, cell] =
    await Promise.all([
      import('../suite/load.js'),
      import('../suite/check.js'),
      import('../suite/default-suite.js'),
      import('../resolve/cell.js'),
    ]);
  const { oracleSemanticsFor } = await import('../resolve/oracle-semantics.js');
  const suiteInput = core.getInput('suite');
  const file = suiteInput ? resolve(suiteInput) : defaultSuiteFile();
  const calico = core.getInput('calico-version') || undefined;
  const found = oracleSemanticsFor(calico);
  if (!found.ok)
    throw new Error(
      `Invalid input "calico-version": ${JSON.stringify(calico)} ${found.why}. Accepted: ${found.known.join(', ')}.`,
    );
  let report;
  try {
    report = await checkSuite(
      await loadSuite(file),
      found.sem,
      cell.resolveBoutiquePods(),
      cell.resolveBoutiqueServices(),
    );
  } catch (e) {
    if (e instanceof SuiteError || e instanceof SuiteCheckError)
      throw new Error(`Invalid input "suite": ${e.message}`, { cause: e });
    throw e;
  }
  const text = checkText(report, found.sem, suiteInput || 'the built-in suite');
  core.info(neutralise(text));
  await core.summary
    .addHeading(`Policy oracle: ${report.suite}`, 3)
    .addCodeBlock(text)
    .write()
    .catch(() => undefined);
  if (report.summary.disagree > 0)
    core.setFailed(
      `${report.summary.disagree} expectation(s) of ${report.suite} disagree with the policy oracle for Calico ${report.calico}`,
    );
}
