import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{decideVerdict,defectNotObserved,failsTheRun,symptomObserved}from"./chunk-W6BYMWUU.js";import"./chunk-F4XQQE6I.js";import"./chunk-E7PT7KKB.js";export{decideVerdict,defectNotObserved,failsTheRun,symptomObserved};
