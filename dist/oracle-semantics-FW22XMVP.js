import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{oracleSemanticsFor}from"./chunk-IAIS6I4Y.js";import"./chunk-NSUKFTC6.js";import"./chunk-ETEZMYEY.js";import"./chunk-5RCLXUUS.js";import"./chunk-E7PT7KKB.js";export{oracleSemanticsFor};
