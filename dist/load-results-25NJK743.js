import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{RESULTS_FILE,ReportInputError,formatIssues,loadResults,parseResult}from"./chunk-BDFPKE4E.js";import"./chunk-GBOSXWZK.js";import"./chunk-3ZUG4J4Z.js";import"./chunk-E7PT7KKB.js";export{RESULTS_FILE,ReportInputError,formatIssues,loadResults,parseResult};
