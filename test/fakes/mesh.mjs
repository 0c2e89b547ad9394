// Pod-to-pod requests inside the fake cluster, as a client's Istio sidecar would see them
// (UPSTREAM.md §6), written apart from the project's code:
// - Felix checks a NEW connection against the target's Calico policies at L3/L4 (source labels,
//   namespace, service account; `http` ignored); none selecting the target: allowed (profile).
//   A connection the client's sidecar pooled earlier stays up (conntrack), unless a DestinationRule
//   for the target sets maxRequestsPerConnection: 1.
// - A dropped connect: the client's own sidecar answers 503 "upstream connect error … connection
//   timeout" after (1 + 2 retries) x connect timeout (10 s unless the DestinationRule says), scaled.
// - The target's sidecar asks Dikastes: rules with the source's identity (service account, labels,
//   namespace) and `http`; no Allow: 403 with an empty body.
// - Online Boutique's gRPC servers (grpc-go) answer a request that is not gRPC with 415.

/** `app == 'x'`, `all()`, `has(k)`, `k in {'a','b'}`, `!=`, joined by `&&` (enough for the suites here). */
export function selects(selector, labels) {
  const text = String(selector ?? 'all()').trim();
  if (text === '' || text === 'all()') return true;
  return text.split('&&').every((raw) => {
    const part = raw.trim();
    let m = /^has\(([^)]+)\)$/.exec(part);
    if (m) return labels[m[1].trim()] !== undefined;
    m = /^([\w./-]+)\s*(==|!=)\s*['"]([^'"]*)['"]$/.exec(part);
    if (m) return m[2] === '==' ? labels[m[1]] === m[3] : labels[m[1]] !== m[3];
    m = /^([\w./-]+)\s+in\s+\{([^}]*)\}$/.exec(part);
    if (m)
      return m[2]
        .split(',')
        .map((v) => v.trim().replace(/^['"]|['"]$/g, ''))
        .includes(labels[m[1]]);
    if (part === 'all()') return true;
    throw new Error(`fake mesh: selector ${part} not understood`);
  });
}

/** Whether a rule's source names this client: selector, serviceAccounts, namespaceSelector; same namespace for a namespaced policy. */
function sourceMatches(rule, policy, src) {
  const s = rule.source ?? {};
  const ns = policy.metadata?.namespace;
  const namespaced = /^NetworkPolicy$/.test(policy.kind);
  const usesSelector = s.selector !== undefined || s.serviceAccounts !== undefined;
  if (s.namespaceSelector !== undefined) {
    if (!selects(s.namespaceSelector, { 'projectcalico.org/name': src.namespace, ...src.namespaceLabels }))
      return false;
  } else if (namespaced && usesSelector && src.namespace !== ns) return false;
  if (s.selector !== undefined && !selects(s.selector, src.labels)) return false;
  const names = s.serviceAccounts?.names;
  if (names?.length && !names.includes(src.serviceAccount)) return false;
  return true;
}

function httpMatches(http, method, path) {
  if (!http) return true;
  const clean = path.split('?')[0];
  const m = !http.methods?.length || http.methods.includes(method);
  const p =
    !http.paths?.length ||
    http.paths.some((x) =>
      x.exact !== undefined
        ? clean === x.exact
        : clean === x.prefix || clean.startsWith(`${x.prefix.replace(/\/$/, '')}/`),
    );
  return m && p;
}

function policiesFor(state, target) {
  return Object.values(state.policies ?? {})
    .filter((p) => p.kind === 'GlobalNetworkPolicy' || p.metadata?.namespace === target.namespace)
    .filter((p) => selects(p.spec?.selector, target.labels))
    .sort((a, b) => (a.spec?.order ?? 1e9) - (b.spec?.order ?? 1e9));
}

/** First matching rule's action over the policies, or 'none'. `l7` adds identity and http to the match. */
function decideRules(policies, src, method, path, l7) {
  for (const p of policies)
    for (const r of p.spec?.ingress ?? []) {
      if (!sourceMatches(r, p, src)) continue;
      if (l7 && r.http && !httpMatches(r.http, method, path)) continue;
      if (r.action === 'Allow' || r.action === 'Deny') return r.action;
    }
  return 'none';
}

/**
 * One request from a client pod to a Service: {status, headers, body, delayMs}, or {timeout: true}
 * when the answer would come after `maxTimeMs`. `pool` is the client sidecar's memory (mutated).
 */
export function podRequest({ state, scenario, src, target, method, path, pool, maxTimeMs }) {
  const timeScale = Number(scenario.timeScale ?? 0.001);
  const route = state.serviceRoutes?.[target.service] ?? {};
  const poolKey = `${src.pod}->${target.service}:${target.port}`;
  const reuse = pool[poolKey] === true && route.maxRequestsPerConnection !== 1;
  const policies = policiesFor(state, target);
  const l4 = policies.length === 0 ? 'Allow' : decideRules(policies, src, method, path, false);
  if (!reuse && l4 !== 'Allow') {
    const connect = /^(\d+(?:\.\d+)?)s$/.exec(route.connectTimeout ?? '');
    const delayMs = (1 + 2) * (connect ? Number(connect[1]) : 10) * 1000 * timeScale;
    if (delayMs > maxTimeMs) return { timeout: true, delayMs: maxTimeMs };
    return {
      status: 503,
      headers: { 'content-type': 'text/plain', server: 'envoy' },
      body: 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection timeout',
      delayMs,
    };
  }
  if (route.maxRequestsPerConnection !== 1) pool[poolKey] = true;
  const upstream = { server: 'envoy', 'x-envoy-upstream-service-time': '2' };
  // Dikastes's deny-all defect (calico#11857) denies whatever reaches the target's sidecar.
  if (scenario.denyAll) return { status: 403, headers: { ...upstream, 'content-length': '0' }, body: '' };
  const l7 = policies.length === 0 ? 'Allow' : decideRules(policies, src, method, path, true);
  if (l7 !== 'Allow') return { status: 403, headers: { ...upstream, 'content-length': '0' }, body: '' };
  return {
    status: 415,
    headers: { ...upstream, 'content-type': 'application/grpc', 'grpc-status': '3' },
    body: '',
  };
}

/** curl's argv as the harness passes it (long options with separate values). */
export function parseCurl(args) {
  const out = { method: 'GET', headers: [], include: false, writeOut: '', url: '', maxTimeS: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--request') out.method = args[++i];
    else if (a === '--header') out.headers.push(args[++i]);
    else if (a === '--include') out.include = true;
    else if (a === '--write-out') out.writeOut = args[++i];
    else if (a === '--url') out.url = args[++i];
    else if (a === '--max-time') out.maxTimeS = Number(args[++i]);
    else if (a === '--silent' || a === '--show-error') continue;
    else throw new Error(`fake curl: option ${a} not understood`);
  }
  return out;
}

/** What curl prints for an answer (or none): --include headers, body, then --write-out. */
export function curlOutput(c, answer, seconds) {
  const code = answer ? String(answer.status).padStart(3, '0') : '000';
  const tail = c.writeOut
    .replace(/\\n/g, '\n')
    .replace('%{http_code}', code)
    .replace('%{time_total}', seconds.toFixed(6));
  if (!answer) return tail;
  const reason =
    { 403: 'Forbidden', 415: 'Unsupported Media Type', 503: 'Service Unavailable' }[answer.status] ?? 'OK';
  const head = c.include
    ? `HTTP/1.1 ${answer.status} ${reason}\r\n${Object.entries({
        'content-length': String(Buffer.byteLength(answer.body)),
        ...answer.headers,
      })
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`
    : '';
  return `${head}${answer.body}${tail}`;
}
