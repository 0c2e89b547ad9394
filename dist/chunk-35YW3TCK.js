import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);
import{FETCH,commandLine,shellQuote}from"./chunk-4GWNFZ2Y.js";import{isFetch}from"./chunk-STT3FULP.js";import{mkdir,readdir,rm,writeFile}from"node:fs/promises";import{dirname,join}from"node:path";var RETRY_FUNCTION=`# retry ATTEMPTS DELAY CMD...: for what the API serves a little later (objects, CRDs, webhooks).
retry() {
  local n=$1 delay=$2 i; shift 2
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    [ "$i" -lt "$n" ] && sleep "$delay"
  done
  return 1
}
`,PRELUDE=`# ${FETCH} [--sha256 HEX] [--set-image NAME IMAGE] URL DEST: download (or copy a user's file:///
# build), verify when the catalog pins a digest, then set NAME's image lines to IMAGE.
${FETCH}() {
  local sum="" name="" image=""
  if [ "$1" = --sha256 ]; then sum=$2; shift 2; fi
  if [ "$1" = --set-image ]; then name=$2 image=$3; shift 3; fi
  mkdir -p "$(dirname "$2")"
  curl -fsSL --retry 3 --proto '=https,http,file' --proto-redir '=https' --speed-time 60 --speed-limit 1 --max-time 600 -o "$2" "$1"
  if [ -n "$sum" ]; then echo "$sum  $2" | sha256sum -c -; else sha256sum "$2"; fi
  if [ -n "$name" ]; then set_image "$2" "$name" "$image"; fi
}

# set_image FILE NAME IMAGE: every "image: \u2026/NAME:tag" line gets IMAGE; at least one must.
set_image() {
  local file=$1 name=$2 image=$3 n=0 line
  local re="^([[:space:]]*(-[[:space:]]+)?image:[[:space:]]*)[\\"']?([^[:space:]\\"'@]*/)?\${name}(:[[:alnum:]_][[:alnum:]_.-]*)?(@sha256:[a-f0-9]{64})?[\\"']?[[:space:]]*$"
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line =~ $re ]]; then printf '%s%s
' "\${BASH_REMATCH[1]}" "$image"; n=$((n + 1)); else printf '%s
' "$line"; fi
  done <"$file" >"$file.new"
  [ "$n" -gt 0 ] || { echo "$file names no $name image" >&2; rm -f "$file.new"; exit 1; }
  mv "$file.new" "$file"
}

# install_tool NAME VERSION AMD64_URL AMD64_SUM_URL ARM64_URL ARM64_SUM_URL [PATH_IN_ARCHIVE]:
# into bin/, verified against the checksum published beside the download (its first field).
install_tool() {
  local name=$1 version=$2 url sumurl archive=\${7:-} tmp want
  case "$(uname -m)" in
    x86_64 | amd64) url=$3 sumurl=$4 ;;
    aarch64 | arm64) url=$5 sumurl=$6 ;;
    *) echo "no $name build for $(uname -m)" >&2; exit 1 ;;
  esac
  [ -x "bin/$name" ] && [ -f "bin/.$name-$version" ] && return 0
  mkdir -p bin
  tmp=$(mktemp -d)
  curl -fsSL --retry 3 --proto '=https,http' --speed-time 60 --speed-limit 1 --max-time 600 -o "$tmp/download" "$url"
  want=$(curl -fsSL --retry 3 --proto '=https,http' --max-time 60 "$sumurl" | awk '{print $1; exit}')
  echo "$want  $tmp/download" | sha256sum -c - >/dev/null || { echo "$name $version: checksum mismatch for $url" >&2; exit 1; }
  place_tool "$name" "$tmp" "$archive"
  touch "bin/.$name-$version"
  rm -rf "$tmp"
  echo "$name $version: verified (sha256 $want)"
}

# place_tool NAME TMP [PATH_IN_ARCHIVE]: the downloaded file (or the one in its archive) as bin/NAME.
place_tool() {
  local name=$1 tmp=$2 archive=\${3:-}
  if [ -n "$archive" ]; then
    tar -xzf "$tmp/download" -C "$tmp" --no-same-owner -- "$archive"
    mv "$tmp/$archive" "bin/$name"
  else
    mv "$tmp/download" "bin/$name"
  fi
  chmod +x "bin/$name"
}

# install_given_tool NAME SOURCE SHA256 [PATH_IN_ARCHIVE]: the user's own build (a path or a URL) into
# bin/, verified when a sha256 is given (a URL always has one).
install_given_tool() {
  local name=$1 src=$2 sum=$3 archive=\${4:-} tmp
  mkdir -p bin
  tmp=$(mktemp -d)
  case "$src" in
    https://* | http://*) curl -fsSL --retry 3 --proto '=https,http' --max-time 600 -o "$tmp/download" "$src" ;;
    *) cp -- "$src" "$tmp/download" ;;
  esac
  if [ -n "$sum" ]; then
    echo "$sum  $tmp/download" | sha256sum -c - >/dev/null || { echo "$name: checksum mismatch for $src" >&2; exit 1; }
  fi
  place_tool "$name" "$tmp" "$archive"
  rm -rf "$tmp"
  echo "$name: the given build $src (sha256 $(sha256sum "bin/$name" | awk '{print $1}'))"
}

${RETRY_FUNCTION}`;function stepBlock(step,index,total){let lines=[`# --- ${index}/${total} ${step.id}: ${step.title}`];step.guide&&lines.push(`# Guide: ${step.guide}`),lines.push(`# Bound: ${step.timeoutSeconds}s`);for(let c of step.commands){let cmd=commandLine(c),retry=isFetch(c)?void 0:step.retry;retry?.beforeRetry?.length?lines.push(`for attempt in $(seq ${retry.attempts}); do`,`  ${cmd} && break`,`  [ "$attempt" -lt ${retry.attempts} ] || exit 1`,...retry.beforeRetry.map(b=>`  ${commandLine(b)} || true`),`  sleep ${retry.delaySeconds}`,"done"):retry?lines.push(`retry ${retry.attempts} ${retry.delaySeconds} ${cmd}`):step.background?lines.push(`{ ${cmd} || echo ${shellQuote(`warning: background step ${step.id} failed; continuing`)} >&2; } &`):step.optional?lines.push(`${cmd} || echo ${shellQuote(`warning: optional step ${step.id} failed; continuing`)} >&2`):lines.push(cmd)}return lines.join(`
`)}function localImagesCheck(plan){let images=plan.facts.localImages??[];return images.length===0?[]:["# --- images to load: each must be in this Docker before the cluster is created",`for image in ${images.map(shellQuote).join(" ")}; do`,'  docker image inspect --format "{{.Id}}" "$image" >/dev/null ||','    { echo "image $image is not in this Docker: build or pull it first" >&2; exit 2; }',"done",""]}function renderRunbook(plan){let{cell}=plan,head=["#!/usr/bin/env bash",`# Calico ALP conformance cell ${cell.id}`,`# Generated by ${plan.generator}. Kubernetes ${cell.kubernetes} (${cell.nodeImage}), Calico ${cell.calico},`,`# Istio ${cell.istio} (${cell.istioFlavour}), Dikastes ${cell.dikastesImage}, Online Boutique ${cell.boutique}.`,...plan.support.map(s=>`# Support: ${s.component} ${s.version}: ${s.status} (${s.detail})`),...plan.facts.notes.map(n=>`# Note: ${n}`),`# Tools (downloaded and verified into bin/ below): ${plan.tools.map(t=>`${t.name} ${t.version}`).join(", ")}.`,"# Needs: bash, curl, sha256sum, tar, docker. Run from anywhere: paths are relative to this file.","set -euo pipefail",'cd "$(dirname "$0")"',"# Background speed-ups (image pulls) stop with the script.","trap 'kill $(jobs -p) 2>/dev/null || true' EXIT",...Object.entries(plan.env).map(([k,v])=>`export ${k}="$PWD/"${shellQuote(v)}`),"",PRELUDE,"# --- tools: exactly the versions a harness run uses",...plan.tools.map(t=>(t.given?["install_given_tool",t.name,"path"in t.given?t.given.path:t.given.url,t.given.sha256??"",..."archivePath"in t.given&&t.given.archivePath?[t.given.archivePath]:[]]:["install_tool",t.name,t.version,t.downloads.amd64.url,t.downloads.amd64.checksumUrl,t.downloads.arm64.url,t.downloads.arm64.checksumUrl,...t.downloads.amd64.archivePath?[t.downloads.amd64.archivePath]:[]]).map(shellQuote).join(" ")),'export PATH="$PWD/bin:$PATH"',"",...localImagesCheck(plan)],steps=plan.steps.map((s,i)=>stepBlock(s,i+1,plan.steps.length)),cleanup=plan.cleanup.length?["# --- cleanup (the harness runs this according to keep-cluster):",...plan.cleanup.flatMap(s=>s.commands.map(c=>`# ${commandLine(c)}`))]:[];return[...head,...steps.flatMap(s=>[s,""]),...cleanup,""].join(`
`)}var PLAN_OWNED=["plan.json","runbook.sh","manifests","downloads","bin","kubeconfig"],PlanDirError=class extends Error{name="PlanDirError"};async function entries(dir){try{return await readdir(dir)}catch(e){if(e.code==="ENOENT")return[];throw e}}async function writePlan(dir,rendered){let present=await entries(dir),foreign=present.filter(e=>!PLAN_OWNED.includes(e));if(foreign.length)throw new PlanDirError(`${dir} holds files a plan did not write (${foreign.slice(0,5).join(", ")}${foreign.length>5?", \u2026":""}): choose an empty directory or one an earlier plan wrote`);for(let e of present)await rm(join(dir,e),{recursive:!0,force:!0});let written=[],put=async(rel,content,mode)=>{let path=join(dir,rel);await mkdir(dirname(path),{recursive:!0}),await writeFile(path,content,mode===void 0?{}:{mode}),written.push(rel)};for(let[rel,content]of rendered.files)await put(rel,content);return await put("plan.json",`${JSON.stringify(rendered.plan,null,2)}
`),await put("runbook.sh",renderRunbook(rendered.plan),493),written}export{RETRY_FUNCTION,PLAN_OWNED,PlanDirError,entries,writePlan};
