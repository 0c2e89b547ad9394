import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{cellId,isSupported,resolveCell,worstSupport}from"./chunk-646FH2CT.js";import"./chunk-J4WEJH74.js";import"./chunk-FVCLZHCJ.js";import"./chunk-5RCLXUUS.js";import"./chunk-E7PT7KKB.js";export{cellId,isSupported,resolveCell,worstSupport};
