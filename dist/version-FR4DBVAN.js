import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{VERSION}from"./chunk-75MYLA3Y.js";import"./chunk-E7PT7KKB.js";export{VERSION};
