// Local requests (test_up_chaining.py): with an x-target header, POSTs the
// request's body to that URL (http://<id>.spin.internal/... or a relative
// one) and answers with what came back; on /loop, calls /loop of its own
// app again; otherwise echoes what it was given.
addEventListener('fetch', (event) => {
  event.respondWith((async () => {
    const req = event.request;
    const target = req.headers.get('x-target');
    const path = req.headers.get('spin-path-info') || '';
    try {
      if (target) {
        const body = await req.text();
        const init = body ? { method: 'POST', body } : { method: 'GET' };
        init.headers = { 'x-hop': 'chained' };
        const r = await fetch(target, init);
        return new Response(`called ${target}: ${r.status} [${await r.text()}]`,
                            { status: 200 });
      }
      if (new URL(req.url).pathname.startsWith('/loop')) {
        const r = await fetch('/loop');
        return new Response(`loop answered ${r.status}`, { status: r.status });
      }
      const body = await req.text();
      return new Response(
        `echo ${req.method} path-info=${path} hop=${req.headers.get('x-hop')} ` +
        `route=${req.headers.get('spin-matched-route')} body=${body}`,
        { status: 200, headers: { 'x-echo': 'yes' } });
    } catch (e) {
      return new Response(`fetch failed: ${e}`, { status: 502 });
    }
  })());
});
