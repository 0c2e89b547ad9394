import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{DEFAULT_SUITE_PATH,defaultSuiteFile}from"./chunk-H2KY5V4Y.js";import"./chunk-E7PT7KKB.js";export{DEFAULT_SUITE_PATH,defaultSuiteFile};
