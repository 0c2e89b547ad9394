import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{buildPlan,clusterName,preloadImages}from"./chunk-D5B5NZ4S.js";import"./chunk-HT235IXZ.js";import"./chunk-6SEW4K5V.js";import"./chunk-STT3FULP.js";import"./chunk-SIJQXVXH.js";import"./chunk-E7PT7KKB.js";export{buildPlan,clusterName,preloadImages};
