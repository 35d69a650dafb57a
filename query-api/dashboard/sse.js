// Server-sent events over fetch: EventSource cannot send an Authorization header.

/**
 * An incremental text/event-stream parser (the WHATWG "interpret an event stream" rules):
 * lines end in CRLF, LF or CR; `:` starts a comment; a blank line dispatches the message.
 */
export function createSseParser({ onMessage, onComment = () => {} }) {
  let buffer = '';
  let data = [];
  let type = '';
  let lastEventId = '';
  let seenData = false;

  function line(text) {
    if (text === '') {
      if (seenData) onMessage({ id: lastEventId, event: type || 'message', data: data.join('\n') });
      data = [];
      type = '';
      seenData = false;
      return;
    }
    if (text.startsWith(':')) return onComment(text.slice(1).trim());
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      data.push(value);
      seenData = true;
    } else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\u0000')) lastEventId = value;
    // `retry` and unknown fields: ignored (the reconnect policy is ours).
  }

  return {
    push(chunk) {
      buffer += chunk;
      // A CR at the very end may be the first half of a CRLF split across chunks: keep it for later.
      const parts = buffer.split(/\r\n|\n|\r(?!$)/);
      buffer = parts.pop() ?? '';
      for (const part of parts) line(part);
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}

export class HttpError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Reads a server-sent event stream with fetch, for as long as it is not stopped: on an error or
 * the end of the response it reconnects with exponential backoff (1 s … 30 s, with jitter),
 * resuming after the last message's id. A 401 ends it (onUnauthorized); another 4xx (but 408 and
 * 429) ends it too, as state 'failed' with the problem; 5xx, 408 and 429 are retried like network errors.
 *
 * - url(lastId): the URL to open; lastId is the id of the last message seen ('' at first).
 * - headers(): request headers (the Authorization header); Last-Event-ID is added on resumes.
 * - onMessage({id, event, data}), onState(state, info), onUnauthorized().
 */
export function openEventStream({ url, headers, onMessage, onState = () => {}, onUnauthorized = () => {}, idleTimeoutMs = 60_000 }) {
  let stopped = false;
  let controller = null;
  let lastId = '';
  let failures = 0;
  let retryTimer = null;
  let wake = null;

  const sleep = (ms) =>
    new Promise((resolve) => {
      wake = resolve;
      retryTimer = setTimeout(resolve, ms);
    });

  async function once() {
    controller = new AbortController();
    const signal = controller.signal;
    let idle = null;
    const armIdle = () => {
      clearTimeout(idle);
      // Keep-alive comments arrive well within this; silence this long means a dead connection.
      idle = setTimeout(() => controller.abort(new Error('no data from the server for a minute')), idleTimeoutMs);
    };
    try {
      const h = { accept: 'text/event-stream', ...headers() };
      if (lastId) h['last-event-id'] = lastId;
      armIdle();
      const response = await fetch(url(lastId), { headers: h, signal, cache: 'no-store' });
      if (response.status === 401) {
        stopped = true;
        onUnauthorized();
        return;
      }
      if (!response.ok || !response.body) {
        let problem = null;
        try {
          problem = await response.json();
        } catch {
          // not JSON
        }
        const error = new HttpError(response.status, problem);
        // A request the server refuses as such (a bad filter, no operator role) fails again if retried.
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          stopped = true;
          onState('failed', { error });
          return;
        }
        throw error;
      }
      onState('live');
      const parser = createSseParser({
        onMessage(message) {
          failures = 0;
          if (message.id) lastId = message.id;
          onMessage(message);
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        armIdle();
        parser.push(value);
      }
      if (!stopped) throw new Error('the server ended the stream');
    } finally {
      clearTimeout(idle);
    }
  }

  async function loop() {
    while (!stopped) {
      onState('connecting', { resume: lastId });
      try {
        await once();
      } catch (error) {
        if (stopped) break;
        failures += 1;
        const delay = Math.min(30_000, 1000 * 2 ** (failures - 1)) * (0.75 + Math.random() * 0.5);
        onState('reconnecting', { delayMs: delay, error });
        await sleep(delay);
      }
    }
  }

  void loop();
  return {
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      wake?.();
      controller?.abort(new Error('stopped'));
    },
    /** Skips the wait before the next reconnect attempt. */
    retryNow() {
      clearTimeout(retryTimer);
      wake?.();
    },
  };
}
