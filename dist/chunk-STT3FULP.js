import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
var isFetch=c=>"fetch"in c,exec=(...argv)=>({exec:argv});export{isFetch,exec};
