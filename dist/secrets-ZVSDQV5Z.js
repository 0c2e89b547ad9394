import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{kubeconfigSecrets,kubeconfigWatcher,maskKubeconfig,privateKubeconfigPath,removeKubeconfig,userKubeconfigs}from"./chunk-NNIS3VJI.js";import"./chunk-E7PT7KKB.js";export{kubeconfigSecrets,kubeconfigWatcher,maskKubeconfig,privateKubeconfigPath,removeKubeconfig,userKubeconfigs};
