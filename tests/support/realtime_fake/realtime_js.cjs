// Drives the fake Realtime REST API with the official client, @supabase/realtime-js, and prints one JSON object
// of what it saw. Usage: node realtime_js.cjs <path to @supabase/realtime-js> <API URL> <key> <foreign key>
'use strict';
const [, , modulePath, url, key, foreignKey] = process.argv;
const { RealtimeClient } = require(modulePath);

const socketUrl = `${url.replace(/^http/, 'ws')}/realtime/v1`;

// Only the REST API is used: a socket opened by mistake fails the run.
class NoSocket {
  constructor() {
    throw new Error('realtime-js opened a WebSocket; only the REST API is under test');
  }
}

async function client(apikey) {
  const realtime = new RealtimeClient(socketUrl, { params: { apikey }, transport: NoSocket });
  await realtime.setAuth(apikey);
  return realtime;
}

const failure = async (promise) => {
  try {
    return { ok: await promise };
  } catch (error) {
    return { error: error.message };
  }
};

async function main() {
  const out = {};
  const good = await client(key);
  // Not subscribed: send() falls back to POST /api/broadcast with {messages: [...]}.
  out.send = await good.channel('room:1').send({ type: 'broadcast', event: 'greet', payload: { hello: 'js' } });
  out.http_send = await failure(good.channel('room:2', { config: { private: true } }).httpSend('ping', { n: 1 }));
  const foreign = await client(foreignKey);
  out.foreign_send = await foreign.channel('room:3').send({ type: 'broadcast', event: 'greet', payload: {} });
  out.foreign_http_send = await failure(foreign.channel('room:3').httpSend('greet', { n: 2 }));
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
