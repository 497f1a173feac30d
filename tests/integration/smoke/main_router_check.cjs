// Loads the CI stack's edge-runtime main service (ci/supabase/volumes/functions/main/index.ts) under Node 22 with
// its types stripped, with stand-ins for what the edge runtime provides (Deno.serve, Deno.env,
// EdgeRuntime.userWorkers), sends it requests and prints what it answered and which workers it created, as JSON.
// argv: router path, JWT secret, a valid token, an expired one, one signed with another secret.
const [routerPath, secret, valid, expired, foreign] = process.argv.slice(2);
const env = { VERIFY_JWT: "true", JWT_SECRET: secret, SUPABASE_URL: "http://kong:8000" };
let handler = null;
const workers = [];
globalThis.Deno = {
  env: { get: (key) => env[key], toObject: () => ({ ...env }) },
  serve: (serve) => {
    handler = serve;
  },
};
globalThis.EdgeRuntime = {
  userWorkers: {
    create: async (options) => {
      workers.push({ servicePath: options.servicePath, env: Object.fromEntries(options.envVars).SUPABASE_URL });
      return {
        fetch: async (request) =>
          new Response(JSON.stringify({ ran: options.servicePath, path: new URL(request.url).pathname }), {
            headers: { "content-type": "application/json" },
          }),
      };
    },
  },
};
require(routerPath);

async function send(path, token, method = "POST") {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const response = await handler(new Request(`http://functions:9000${path}`, { method, headers }));
  return { status: response.status, code: response.headers.get("sb-error-code"), body: await response.json() };
}

(async () => {
  const answers = {
    no_name: await send("/", valid),
    main: await send("/main", valid),
    hidden: await send("/.supamcp/hello.json", valid),
    valid: await send("/hello/users/1", valid),
    no_token: await send("/hello", null),
    expired: await send("/hello", expired),
    foreign: await send("/hello", foreign),
    not_bearer: await send("/hello", "x.y"),
  };
  console.log(JSON.stringify({ answers, workers }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
