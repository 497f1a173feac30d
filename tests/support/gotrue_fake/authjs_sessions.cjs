// Drives the fake GoTrue's sign-in and refresh with the official client (@supabase/auth-js, GoTrueClient, as an
// app uses it with the anon key) and prints one JSON object for tests/integration/auth/authjs.rs.
// Env: AUTH_JS (the package directory), GOTRUE_URL (the gateway URL), SERVICE_KEY, ANON_KEY.
'use strict';
const { GoTrueAdminApi, GoTrueClient } = require(process.env.AUTH_JS);

const summary = (error) => (error ? { name: error.name, status: error.status, code: error.code } : null);

async function main() {
  const url = `${process.env.GOTRUE_URL}/auth/v1`;
  const key = process.env.SERVICE_KEY;
  const admin = new GoTrueAdminApi({ url, headers: { Authorization: `Bearer ${key}`, apikey: key } });
  const client = new GoTrueClient({
    url, headers: { apikey: process.env.ANON_KEY }, persistSession: false, autoRefreshToken: false,
  });
  const out = {};
  const created = await admin.createUser({ email: 'app@example.com', password: 'app-password-1', email_confirm: true });
  out.user_id = created.data.user && created.data.user.id;
  const wrong = await client.signInWithPassword({ email: 'app@example.com', password: 'not-it' });
  out.wrong = summary(wrong.error);
  const signed = await client.signInWithPassword({ email: 'app@example.com', password: 'app-password-1' });
  const session = signed.data.session;
  out.sign_in = {
    error: summary(signed.error), user_id: signed.data.user && signed.data.user.id,
    refresh_token: session && session.refresh_token, expires_in: session && session.expires_in,
  };
  const refreshed = await client.refreshSession();
  out.refresh = {
    error: summary(refreshed.error),
    refresh_token: refreshed.data.session && refreshed.data.session.refresh_token,
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
