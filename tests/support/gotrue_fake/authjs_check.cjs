// Drives the fake GoTrue with the official admin client (@supabase/auth-js, GoTrueAdminApi) and prints one
// JSON object with what each call returned, for tests/integration/auth/authjs.rs to assert on.
// Env: AUTH_JS (the package directory), GOTRUE_URL (the gateway URL), SERVICE_KEY.
'use strict';
const { GoTrueAdminApi } = require(process.env.AUTH_JS);

const summary = (error) => (error ? { name: error.name, status: error.status, code: error.code, message: error.message } : null);

async function main() {
  const key = process.env.SERVICE_KEY;
  const admin = new GoTrueAdminApi({
    url: `${process.env.GOTRUE_URL}/auth/v1`,
    headers: { Authorization: `Bearer ${key}`, apikey: key },
  });
  const out = {};
  const created = await admin.createUser({
    email: 'JS@example.com', password: 'js-password-1', email_confirm: true, user_metadata: { from: 'auth-js' },
  });
  const user = created.data.user;
  out.create = {
    error: summary(created.error), id: user && user.id, email: user && user.email,
    confirmed: Boolean(user && user.email_confirmed_at), identities: user && user.identities.length,
    providers: user && user.app_metadata.providers,
  };
  const id = user.id;
  const duplicate = await admin.createUser({ email: 'js@example.com' });
  out.duplicate = summary(duplicate.error);
  await admin.createUser({ email: 'second@example.com' });
  await admin.createUser({ email: 'third@example.com' });
  const listed = await admin.listUsers({ page: 1, perPage: 2 });
  out.list = {
    error: summary(listed.error), count: listed.data.users.length, total: listed.data.total,
    nextPage: listed.data.nextPage, lastPage: listed.data.lastPage, aud: listed.data.aud,
  };
  const updated = await admin.updateUserById(id, { user_metadata: { plan: 'pro' }, ban_duration: '1h' });
  out.update = {
    error: summary(updated.error), metadata: updated.data.user && updated.data.user.user_metadata,
    banned: Boolean(updated.data.user && updated.data.user.banned_until),
  };
  const badBan = await admin.updateUserById(id, { ban_duration: 'forever' });
  out.bad_ban = summary(badBan.error);
  const link = await admin.generateLink({ type: 'magiclink', email: 'js@example.com' });
  out.link = {
    error: summary(link.error), user_id: link.data.user && link.data.user.id,
    has_action_link: Boolean(link.data.properties && link.data.properties.action_link),
    verification_type: link.data.properties && link.data.properties.verification_type,
    otp_length: link.data.properties && link.data.properties.email_otp.length,
  };
  const factors = await admin.mfa.listFactors({ userId: id });
  out.factors = { error: summary(factors.error), count: factors.data && factors.data.factors.length };
  const got = await admin.getUserById(id);
  out.get = { error: summary(got.error), email: got.data.user && got.data.user.email };
  const missing = await admin.getUserById('00000000-0000-4000-8000-000000000000');
  out.missing = summary(missing.error);
  const deleted = await admin.deleteUser(id);
  out.delete = { error: summary(deleted.error) };
  const after = await admin.getUserById(id);
  out.after_delete = summary(after.error);
  const soft = await admin.listUsers();
  const softId = soft.data.users[0].id;
  const softDeleted = await admin.deleteUser(softId, true);
  out.soft_delete = { error: summary(softDeleted.error) };
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
