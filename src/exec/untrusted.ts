/**
 * Text from outside the harness (response bodies, tool and pod output, user-supplied names) must never
 * reach the runner as a workflow command. The runner reads a command from any line that starts with
 * `::` after leading whitespace, and a legacy `##[name]` command anywhere in a line
 * (actions/runner ActionCommand.TryParseV2 / TryParse).
 */
const COMMAND_START = /^(\s*):(:)/;

/** One line, with what the runner would read as a command broken up (visibly, `: :` and `## [`). */
function neutraliseLine(line: string): string {
  return line.replace(COMMAND_START, '$1: $2').replaceAll('##[', '## [');
}

/** Every line of text neutralised; \r is a line break for the runner too. */
export function neutralise(text: string): string {
  if (!text.includes('::') && !text.includes('##[')) return text;
  return text
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i % 2 === 1 ? part : neutraliseLine(part)))
    .join('');
}

/** Whether the runner would take this line as a workflow command (for tests and asserts). */
export function isWorkflowCommand(line: string): boolean {
  return /^\s*::/.test(line) || /##\[[^\]]*\]/.test(line);
}
