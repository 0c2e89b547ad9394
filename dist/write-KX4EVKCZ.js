import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{PLAN_OWNED,PlanDirError,entries,writePlan}from"./chunk-35YW3TCK.js";import"./chunk-4GWNFZ2Y.js";import"./chunk-STT3FULP.js";import"./chunk-E7PT7KKB.js";export{PLAN_OWNED,PlanDirError,entries,writePlan};
