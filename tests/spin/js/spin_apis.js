// A Spin JS app for test_up_js_apps.py, built with componentize-js against
// spin-world.wit: Spin's key-value and variables interfaces are imported as
// the ES modules componentize-js makes of the world's imports.
//
//   GET  /kv/KEY        the value of KEY in the store "default" (404: none)
//   PUT  /kv/KEY        stores the request body under KEY
//   GET  /kv            the keys, sorted, one a line
//   GET  /var/NAME      the Spin variable NAME (500 with the error's case)
//   POST /fetch         follows conformance-tests' outbound-wasi-http case:
//                       POSTs "Hello, world!" to the URL in the `url` header
//                       and answers with the status and body that came back
//                       (500 naming the error when the request fails)
import { Store } from 'fermyon:spin/key-value@2.0.0';
import { get as variable } from 'fermyon:spin/variables@2.0.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// A host error thrown by the bindings: its case (and string, if any).
function describe(e) {
  const p = e && e.payload;
  if (p && p.tag)
    return p.val === undefined ? p.tag : `${p.tag}: ${p.val}`;
  return `${e}`;
}

async function keyValue(req, key) {
  const store = Store.open('default');
  if (key === '') {
    const keys = store.getKeys().sort();
    return new Response(keys.map((k) => `${k}\n`).join(''));
  }
  if (req.method === 'PUT') {
    store.set(key, new Uint8Array(await req.arrayBuffer()));
    return new Response(`stored ${key}\n`);
  }
  const value = store.get(key);
  if (value === undefined)
    return new Response(`no ${key}\n`, { status: 404 });
  return new Response(decoder.decode(value));
}

async function outbound(req) {
  const url = req.headers.get('url');
  if (!url)
    return new Response('missing header: url', { status: 400 });
  const r = await fetch(url, { method: 'POST', body: encoder.encode('Hello, world!') });
  return new Response(await r.text(), { status: r.status });
}

async function handle(req) {
  const path = new URL(req.url).pathname;
  try {
    if (path === '/kv' || path.startsWith('/kv/'))
      return await keyValue(req, decodeURIComponent(path.slice(4)));
    if (path.startsWith('/var/'))
      return new Response(variable(path.slice(5)));
    if (path === '/fetch')
      return await outbound(req);
    return new Response(`no route ${path}\n`, { status: 404 });
  } catch (e) {
    return new Response(`error: ${describe(e)}`, { status: 500 });
  }
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
