import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{oracleSemanticsFor}from"./chunk-6FG74NUH.js";import"./chunk-SI2YSC4Q.js";import"./chunk-G34XRGYG.js";import"./chunk-5RCLXUUS.js";import"./chunk-E7PT7KKB.js";export{oracleSemanticsFor};
