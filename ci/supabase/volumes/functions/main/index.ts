// The edge runtime's main service for the CI stack: Kong strips /functions/v1, so a request for
// /functions/v1/<slug>/rest arrives here as /<slug>/rest and runs /home/deno/functions/<slug> in a user worker
// created for it. supamcp's deploy_edge_function writes those directories; this file is never touched by it.
// With VERIFY_JWT=true a request must carry an HS256 bearer token signed with JWT_SECRET and not expired.

const FUNCTIONS = "/home/deno/functions";
const verifyJwt = Deno.env.get("VERIFY_JWT") === "true";
const jwtSecret = Deno.env.get("JWT_SECRET") ?? "";

function reply(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function base64UrlBytes(text: string): Uint8Array {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function validToken(header: string | null): Promise<boolean> {
  const token = header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  try {
    const head = JSON.parse(new TextDecoder().decode(base64UrlBytes(parts[0])));
    if (head.alg !== "HS256") return false;
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(jwtSecret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    if (!(await crypto.subtle.verify("HMAC", key, base64UrlBytes(parts[2]), signed))) return false;
    const claims = JSON.parse(new TextDecoder().decode(base64UrlBytes(parts[1])));
    return typeof claims.exp !== "number" || claims.exp > Date.now() / 1000;
  } catch {
    return false;
  }
}

Deno.serve(async (req: Request) => {
  const slug = new URL(req.url).pathname.split("/")[1] ?? "";
  if (slug === "" || slug === "main" || slug.startsWith(".")) {
    return reply(400, { msg: "missing function name in request" });
  }
  if (req.method !== "OPTIONS" && verifyJwt && !(await validToken(req.headers.get("authorization")))) {
    const refused = reply(401, { code: "UNAUTHORIZED_INVALID_JWT", message: "Invalid JWT", msg: "Invalid JWT" });
    refused.headers.set("sb-error-code", "UNAUTHORIZED_INVALID_JWT");
    return refused;
  }
  try {
    const worker = await EdgeRuntime.userWorkers.create({
      servicePath: `${FUNCTIONS}/${slug}`,
      memoryLimitMb: 150,
      workerTimeoutMs: 60_000,
      noModuleCache: false,
      envVars: Object.entries(Deno.env.toObject()),
      forceCreate: false,
      cpuTimeSoftLimitMs: 10_000,
      cpuTimeHardLimitMs: 20_000,
    });
    return await worker.fetch(req);
  } catch (error) {
    return reply(500, { msg: String(error) });
  }
});
