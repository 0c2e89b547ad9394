import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{execaRunner}from"./chunk-NS76T3RL.js";import"./chunk-E7PT7KKB.js";export{execaRunner};
