import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{actionsLog,streamLog}from"./chunk-SX6CEBXS.js";import"./chunk-PT5UNI5B.js";import"./chunk-GPPFLNOA.js";import"./chunk-E7PT7KKB.js";export{actionsLog,streamLog};
