import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{cellId,isSupported,resolveCalicoSemantics,resolveCell,worstSupport}from"./chunk-FCFNXBGN.js";import"./chunk-MQ27VUQ3.js";import"./chunk-5RCLXUUS.js";import"./chunk-E7PT7KKB.js";export{cellId,isSupported,resolveCalicoSemantics,resolveCell,worstSupport};
