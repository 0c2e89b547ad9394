/**
 * Why a report fails after writing everything (the CLI exits 1, the action's report mode fails):
 * invalid results files, no result at all, planned in-window cells without a result. A badge may
 * say "0/12 passing"; the exit status must not say "fine" about it.
 */
export function reportFailures(
  invalid: number,
  gaps: { readonly noResults: boolean; readonly missing: readonly string[] },
  allowMissing: boolean,
): string[] {
  const out: string[] = [];
  if (invalid > 0)
    out.push(
      `${invalid} results file${invalid === 1 ? ' is' : 's are'} invalid (listed above and in the report)`,
    );
  if (gaps.noResults) out.push('no results.json was found: nothing was judged');
  if (gaps.missing.length > 0 && !allowMissing) {
    const shown = gaps.missing.slice(0, 10).join(', ');
    const more = gaps.missing.length > 10 ? ` and ${gaps.missing.length - 10} more` : '';
    out.push(
      `${gaps.missing.length} planned cell${gaps.missing.length === 1 ? ' has' : 's have'} no result (${shown}${more}); --allow-missing accepts that`,
    );
  }
  return out;
}
