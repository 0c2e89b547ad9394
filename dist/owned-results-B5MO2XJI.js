import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{OWNED_RESULTS,clearAfterRefusal,clearOwnedResults}from"./chunk-6SYNFA22.js";import"./chunk-E7PT7KKB.js";export{OWNED_RESULTS,clearAfterRefusal,clearOwnedResults};
