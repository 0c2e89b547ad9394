import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{OutputPathError,checkOutputDir,fsReason}from"./chunk-R4U4C66Q.js";import"./chunk-E7PT7KKB.js";export{OutputPathError,checkOutputDir,fsReason};
