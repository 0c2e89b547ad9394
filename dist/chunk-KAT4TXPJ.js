import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
var HTTP_METHODS=["GET","HEAD","POST","PUT","PATCH","DELETE","OPTIONS"];export{HTTP_METHODS};
