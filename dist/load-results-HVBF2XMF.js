import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{RESULTS_FILE,ReportInputError,formatIssues,loadResults,parseResult}from"./chunk-7T4X2B2M.js";import"./chunk-BM66K4YO.js";import"./chunk-3ZUG4J4Z.js";import"./chunk-E7PT7KKB.js";export{RESULTS_FILE,ReportInputError,formatIssues,loadResults,parseResult};
