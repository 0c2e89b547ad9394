/** One refused rule line: its number (1-based), the line as written without credentials, and why. */
export interface RuleLineProblem {
  readonly line: number;
  readonly text: string;
  readonly why: string;
}

/**
 * `LEFT=RIGHT` rules, one per line, blank lines skipped. `parse` gets both sides trimmed and the rules
 * accepted so far, and returns a rule or why the line is refused. A refused line is echoed back, never
 * with the credentials a URL in it may carry.
 */
export function parseRuleLines<R extends object>(
  text: string,
  pair: string,
  parse: (left: string, right: string, rules: readonly R[]) => R | string,
): { rules: R[]; problems: RuleLineProblem[] } {
  const rules: R[] = [];
  const problems: RuleLineProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const refuse = (why: string) =>
      problems.push({ line: i + 1, text: line.replace(/\/\/[^/@\s]*@/g, '//***@'), why });
    const eq = line.indexOf('=');
    if (eq <= 0) return refuse(`is not a ${pair} pair`);
    const got = parse(line.slice(0, eq).trim(), line.slice(eq + 1).trim(), rules);
    if (typeof got === 'string') return refuse(got);
    rules.push(got);
  });
  return { rules, problems };
}
