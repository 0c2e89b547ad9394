import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{DEFAULT_PROBE_TIMEOUT_MS,createProber,joinPath,parseBaseUrl}from"./chunk-BVARSEAD.js";import"./chunk-XKPEFFK4.js";import"./chunk-E7PT7KKB.js";export{DEFAULT_PROBE_TIMEOUT_MS,createProber,joinPath,parseBaseUrl};
