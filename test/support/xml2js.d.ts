// xml2js ships no types; the JUnit consumer test needs only the parser dorny/test-reporter calls.
declare module 'xml2js' {
  export class Parser {
    parseStringPromise(xml: string): Promise<unknown>;
  }
}
