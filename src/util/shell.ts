const SAFE = /^[\w@%+=:,./-]+$/;

/** Quotes one word for bash; only used to print runbooks and logs, never to run anything. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
