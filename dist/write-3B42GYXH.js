import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{writePlan}from"./chunk-2LEJA5JW.js";import"./chunk-AW7KACAK.js";import"./chunk-STT3FULP.js";import"./chunk-E7PT7KKB.js";export{writePlan};
