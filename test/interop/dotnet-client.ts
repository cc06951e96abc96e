// The official .NET SignalR client (test/interop/dotnet-client/) as a child process, driven by JSON
// lines: invoke hub methods, collect what the server sends, answer client results ("ask").
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { trackChild } from './dotnet-app.ts';

export type Transport = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';
export type Protocol = 'json' | 'messagepack';

export interface ReceivedMessage {
  target: string;
  args: unknown[];
}

export interface DotnetClient {
  connectionId: string;
  messages: ReceivedMessage[];
  /** Every stdout/stderr line, for failure messages. */
  output: string[];
  invoke(method: string, args?: (string | string[])[]): Promise<unknown>;
  waitForMessage(predicate: (m: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  stop(): Promise<void>;
}

interface ClientEvent {
  event: string;
  id?: number;
  result?: unknown;
  message?: string;
  target?: string;
  args?: unknown[];
  connectionId?: string;
  error?: string | null;
}

/** Starts the client on `hubUrl` (e.g. http://127.0.0.1:5000/chat?user=alice) and waits until it is connected. */
export async function startDotnetClient(opts: { dllPath: string; hubUrl: string; transport: Transport; protocol: Protocol; caCertPath?: string }): Promise<DotnetClient> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' };
  if (opts.caCertPath) env.SSL_CERT_FILE = opts.caCertPath;
  const child = spawn('dotnet', [opts.dllPath, opts.hubUrl, opts.transport, opts.protocol], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  const output: string[] = [];
  const messages: ReceivedMessage[] = [];
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const messageWaiters = new Set<() => void>();
  let nextId = 0;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`the .NET client exited:\n${output.slice(-20).join('\n')}`));
    resolve();
  }));

  const connected = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => output.push(`stderr: ${line}`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      let e: ClientEvent;
      try { e = JSON.parse(line) as ClientEvent; } catch { return; }
      if (e.event === 'connected') resolve(e.connectionId ?? '');
      else if (e.event === 'start-failed') reject(new Error(`the .NET client could not connect: ${e.message}`));
      else if (e.event === 'result' || e.event === 'error') {
        const p = pending.get(e.id ?? -1);
        pending.delete(e.id ?? -1);
        if (e.event === 'result') p?.resolve(e.result ?? null);
        else p?.reject(new Error(e.message));
      } else if (e.event === 'message') {
        messages.push({ target: e.target ?? '', args: e.args ?? [] });
        for (const w of [...messageWaiters]) w();
      }
    });
    void exit.then(() => reject(new Error(`the .NET client exited before connecting:\n${output.slice(-20).join('\n')}`)));
  });

  const stop = async () => {
    if (exited || child.pid === undefined) return;
    child.stdin?.end(`${JSON.stringify({ id: ++nextId, stop: true })}\n`);
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5_000);
    await exit;
    clearTimeout(timer);
  };

  let connectionId: string;
  try {
    connectionId = await Promise.race([connected, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the .NET client did not connect within 30 s:\n${output.slice(-20).join('\n')}`)), 30_000))]);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    connectionId,
    messages,
    output,
    invoke(method, args = []) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin?.write(`${JSON.stringify({ id, invoke: method, args })}\n`);
      });
    },
    waitForMessage(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return false;
          messageWaiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => { messageWaiters.delete(check); reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)); }, timeoutMs);
        if (!check()) messageWaiters.add(check);
      });
    },
    stop,
  };
}
