/**
 * The identity rows: the token endpoint and RBAC-checked REST calls over HTTPS, closed-loop with
 * a fixed number of concurrent keep-alive requests (node:https is fine here: the server's cost
 * per request is far above the client's).
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { BENCH_APP_ID, BENCH_SECRET } from './lib/servers.ts';
import type { LapisReady } from './lib/servers.ts';
import { cpuSeconds } from './lib/proc.ts';

export interface RateResult {
  available: boolean;
  rate?: number;
  note: string;
  errors?: number;
  /** The server's CPU (cores, all its threads) over the measured window, when its pid was given. */
  serverCpu?: number;
}

function httpsPost(agent: https.Agent, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function closedLoop(ms: number, concurrency: number, call: () => Promise<boolean>): Promise<{ ok: number; errors: number; secs: number }> {
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      if (await call().catch(() => false)) ok++;
      else errors++;
    }
  }));
  return { ok, errors, secs: (performance.now() - t0) / 1000 };
}

function tokenForm(scope: string): string {
  return new URLSearchParams({ grant_type: 'client_credentials', client_id: BENCH_APP_ID, client_secret: BENCH_SECRET, scope }).toString();
}

/** Identity token endpoint: `POST /{tenant}/oauth2/v2.0/token`, client_credentials with a declared secret, over HTTPS. */
export async function identityRate(ready: LapisReady, ms: number, concurrency: number, serverPid?: number): Promise<RateResult> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: readFileSync(ready.caCertPath) });
  const url = `${ready.authorityHost}/${ready.tenantId}/oauth2/v2.0/token`;
  const form = tokenForm('https://webpubsub.azure.com/.default');
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  try {
    const probe = await httpsPost(agent, url, headers, form);
    if (probe.status !== 200) return { available: false, note: `token endpoint answered ${probe.status}: ${probe.body.slice(0, 300)}` };
    const c0 = serverPid === undefined ? 0 : cpuSeconds(serverPid);
    const r = await closedLoop(ms, concurrency, async () => (await httpsPost(agent, url, headers, form)).status === 200);
    const serverCpu = serverPid === undefined ? undefined : (cpuSeconds(serverPid) - c0) / r.secs;
    return { available: true, rate: r.ok / r.secs, errors: r.errors, serverCpu, note: `client_credentials, ${concurrency} concurrent HTTPS keep-alive requests` };
  } finally {
    agent.destroy();
  }
}

/**
 * RBAC-checked REST: an Entra bearer token (client_credentials, scope webpubsub) on `sendToAll`
 * over HTTPS (the SDK's bearer policy refuses http). Reported as not available unless Lapis
 * accepts the token and authorises the call.
 */
export async function rbacRate(ready: LapisReady, rbacDeclared: boolean, rbacNote: string, ms: number, concurrency: number): Promise<RateResult> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: readFileSync(ready.caCertPath) });
  try {
    const tok = await httpsPost(agent, `${ready.authorityHost}/${ready.tenantId}/oauth2/v2.0/token`, { 'content-type': 'application/x-www-form-urlencoded' }, tokenForm('https://webpubsub.azure.com/.default'));
    if (tok.status !== 200) return { available: false, note: `not available yet: no Entra token (${tok.status}: ${tok.body.slice(0, 200)})` };
    const token = (JSON.parse(tok.body) as { access_token: string }).access_token;
    const res = ready.resources.find((r) => r.name === 'bench')!;
    const url = `${res.endpoint.replace(/\/$/, '')}/api/hubs/bench/:send?api-version=2024-12-01`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'text/plain' };
    const probe = await httpsPost(agent, url, headers, 'rbac-probe');
    if (probe.status !== 202) {
      const why = rbacDeclared ? '' : ` (${rbacNote})`;
      return { available: false, note: `not available yet: sendToAll with an Entra bearer token answered ${probe.status} ${probe.body.slice(0, 200)}${why}` };
    }
    const r = await closedLoop(ms, concurrency, async () => (await httpsPost(agent, url, headers, 'rbac')).status === 202);
    return { available: true, rate: r.ok / r.secs, errors: r.errors, note: `Entra bearer token + RBAC check, sendToAll (no connections), ${concurrency} concurrent HTTPS requests` };
  } finally {
    agent.destroy();
  }
}
