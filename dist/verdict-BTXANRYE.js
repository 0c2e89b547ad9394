import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{decideVerdict,defectNotObserved,failsTheRun,symptomObserved}from"./chunk-MC5CAN3G.js";import"./chunk-JBWIJWIM.js";import"./chunk-E7PT7KKB.js";export{decideVerdict,defectNotObserved,failsTheRun,symptomObserved};
