import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{PLAN_OWNED,PlanDirError,writePlan}from"./chunk-GNSMWYMJ.js";import"./chunk-WLVIBFHZ.js";import"./chunk-STT3FULP.js";import"./chunk-E7PT7KKB.js";export{PLAN_OWNED,PlanDirError,writePlan};
