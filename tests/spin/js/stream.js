// Streaming bodies (test_up_streaming.py).  The test's "gate" server (URL
// in x-gate) learns how far the guest got while the client is still in
// the middle of its request or response:
// - x-mode: upload - reads the first chunk of the request body, tells
//   the gate (GET <gate>/got-first), then reads the rest and answers
//   "read <n> bytes";
// - x-mode: download - answers with a stream: "first\n", then tells the
//   gate (GET <gate>/sent-first) and, once the gate answered, "second\n";
// - x-mode: echo - answers with the request body as it reads it.
addEventListener('fetch', (event) => {
  event.respondWith((async () => {
    const req = event.request;
    const gate = req.headers.get('x-gate');
    const mode = req.headers.get('x-mode');
    try {
      if (mode === 'echo') {
        return new Response(req.body, { status: 200 });
      }
      if (mode === 'upload') {
        const reader = req.body.getReader();
        let total = 0;
        let told = false;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.length;
          if (!told) {
            told = true;
            const r = await fetch(`${gate}/got-first`);
            await r.text();
          }
        }
        return new Response(`read ${total} bytes`, { status: 200 });
      }
      const enc = new TextEncoder();
      const body = new ReadableStream({
        async start(controller) {
          controller.enqueue(enc.encode('first\n'));
          const r = await fetch(`${gate}/sent-first`);
          await r.text();
          controller.enqueue(enc.encode('second\n'));
          controller.close();
        },
      });
      return new Response(body, { status: 200, headers: { 'x-streamed': 'yes' } });
    } catch (e) {
      return new Response(`failed: ${e}`, { status: 502 });
    }
  })());
});
