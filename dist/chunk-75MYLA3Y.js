import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
var VERSION="0.1.0";export{VERSION};
