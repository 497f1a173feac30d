// Drives the fake functions endpoint with the official client, @supabase/functions-js, and prints what it
// saw as JSON. Usage: node functions_js.cjs <module dir> <functions URL> <anon key>
const [moduleDir, url, anon] = process.argv.slice(2);
const { FunctionsClient, FunctionsHttpError } = require(moduleDir);

async function failure(promise) {
  const { data, error } = await promise;
  if (!(error instanceof FunctionsHttpError)) return { unexpected: String(error), data };
  const response = error.context;
  return { status: response.status, code: response.headers.get('sb-error-code'), body: await response.json() };
}

(async () => {
  const seen = {};
  const anonymous = new FunctionsClient(url, { headers: { apikey: anon } });
  seen.no_token = await failure(anonymous.invoke('echo', { body: { a: 1 } }));
  const client = new FunctionsClient(url, { headers: { apikey: anon } });
  client.setAuth(anon);
  const json = await client.invoke('echo', { body: { a: 1 } });
  seen.json = { data: json.data, error: json.error && String(json.error) };
  const text = await client.invoke('echo', { body: 'plain words', method: 'PUT' });
  seen.text = text.data;
  const region = await client.invoke('echo', { method: 'GET', region: 'eu-west-1' });
  seen.region = region.data;
  seen.missing = await failure(client.invoke('nothere'));
  client.setAuth('not-a-jwt');
  seen.bad_token = await failure(client.invoke('echo'));
  process.stdout.write(JSON.stringify(seen));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
