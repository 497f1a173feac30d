// Drives the fake Storage API with the official client, @supabase/storage-js, and prints one JSON object of
// what it saw. Usage: node storage_js.cjs <path to @supabase/storage-js> <storage url> <service key>
'use strict';
const [, , modulePath, url, key] = process.argv;
const { StorageClient } = require(modulePath);

const err = (error) => (error ? { status: error.status, statusCode: error.statusCode, message: error.message } : null);

async function main() {
  const out = {};
  const storage = new StorageClient(url, { apikey: key, Authorization: `Bearer ${key}` });
  let r = await storage.createBucket('js-bucket', {
    public: false,
    fileSizeLimit: '1MB',
    allowedMimeTypes: ['text/*', 'image/png'],
  });
  out.create = { data: r.data, error: err(r.error) };
  out.duplicate_bucket = err((await storage.createBucket('js-bucket')).error);
  r = await storage.listBuckets();
  out.buckets = (r.data || []).map((b) => b.id);
  r = await storage.getBucket('js-bucket');
  out.bucket = r.data && { public: r.data.public, file_size_limit: r.data.file_size_limit, allowed: r.data.allowed_mime_types };
  out.missing_bucket = err((await storage.getBucket('nope')).error);
  r = await storage.updateBucket('js-bucket', { public: true, fileSizeLimit: 2000000, allowedMimeTypes: ['text/*', 'image/png'] });
  out.update = { data: r.data, error: err(r.error) };

  const files = storage.from('js-bucket');
  r = await files.upload('dir/hello.txt', Buffer.from('hello from storage-js'), { contentType: 'text/plain' });
  out.upload = { data: r.data && { path: r.data.path, fullPath: r.data.fullPath }, error: err(r.error) };
  out.upload_duplicate = err((await files.upload('dir/hello.txt', Buffer.from('again'), { contentType: 'text/plain' })).error);
  out.upload_upsert = err((await files.upload('dir/hello.txt', Buffer.from('hello from storage-js'), { contentType: 'text/plain', upsert: true })).error);
  out.upload_too_large = err((await files.upload('big.txt', Buffer.alloc(2500000, 97), { contentType: 'text/plain' })).error);
  out.upload_wrong_mime = err((await files.upload('doc.pdf', Buffer.from('%PDF'), { contentType: 'application/pdf' })).error);
  r = await files.download('dir/hello.txt');
  out.download = r.data ? await r.data.text() : err(r.error);
  out.download_missing = err((await files.download('dir/none.txt')).error);
  r = await files.list('dir');
  out.list_dir = (r.data || []).map((o) => ({ name: o.name, size: o.metadata && o.metadata.size }));
  r = await files.list('');
  out.list_root = (r.data || []).map((o) => ({ name: o.name, folder: o.id === null }));
  out.move = err((await files.move('dir/hello.txt', 'dir/moved.txt')).error);
  r = await files.copy('dir/moved.txt', 'copy.txt');
  out.copy = { data: r.data, error: err(r.error) };
  r = await files.createSignedUrl('copy.txt', 60);
  out.signed = r.data ? await (await fetch(r.data.signedUrl)).text() : err(r.error);
  const tampered = r.data ? r.data.signedUrl.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) : url;
  out.signed_tampered = (await fetch(tampered)).status;
  r = await files.createSignedUrls(['copy.txt', 'missing.txt'], 60);
  out.signed_many = (r.data || []).map((s) => ({ path: s.path, ok: !!s.signedUrl, error: s.error }));
  r = await files.createSignedUploadUrl('signed/up.txt');
  if (r.data) {
    const up = await files.uploadToSignedUrl(r.data.path, r.data.token, Buffer.from('uploaded with a token'), { contentType: 'text/plain' });
    out.signed_upload = { data: up.data && up.data.fullPath, error: err(up.error) };
    const back = await files.download('signed/up.txt');
    out.signed_upload_back = back.data ? await back.data.text() : err(back.error);
  } else {
    out.signed_upload = { error: err(r.error) };
  }
  r = await files.remove(['copy.txt', 'nothing.txt']);
  out.remove = (r.data || []).map((o) => o.name);
  out.delete_not_empty = err((await storage.deleteBucket('js-bucket')).error);
  r = await storage.emptyBucket('js-bucket');
  out.empty = { data: r.data, error: err(r.error) };
  for (let i = 0; i < 50; i++) {
    const left = await files.list('');
    if (left.data && left.data.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  r = await storage.deleteBucket('js-bucket');
  out.delete = { data: r.data, error: err(r.error) };

  const stranger = new StorageClient(url, { apikey: 'wrong', Authorization: 'Bearer wrong' });
  out.wrong_key = err((await stranger.listBuckets()).error);
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
