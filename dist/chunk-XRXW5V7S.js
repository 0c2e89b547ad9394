import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
var TransientFetchError=class extends Error{name="TransientFetchError"};export{TransientFetchError};
