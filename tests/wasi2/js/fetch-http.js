// wasi:http client: fetches the URL named by the x-target request header
// (POST "ping" with x-req: js) and answers with what came back.  With
// x-mode: no-answer it never answers: StarlingMonkey's event loop ends and
// its runtime writes its own 500 (a response-body write without
// check-write, which wasmtime takes).
addEventListener('fetch', (event) => {
  if (event.request.headers.get('x-mode') === 'no-answer') {
    event.respondWith(new Promise(() => {}));
    return;
  }
  event.respondWith((async () => {
    const target = event.request.headers.get('x-target');
    try {
      const r = await fetch(target, { method: 'POST', body: 'ping', headers: { 'x-req': 'js' } });
      const text = await r.text();
      return new Response(`${r.status} ${r.headers.get('x-test')} ${text}`, { status: 200 });
    } catch (e) {
      return new Response(`fetch failed: ${e}`, { status: 502 });
    }
  })());
});
