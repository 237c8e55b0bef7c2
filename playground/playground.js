// The Plejeoverblik playground: GraphiQL with the example operations of playground/*.graphql as
// tabs and one development token, from the field above GraphiQL, for every tab. Served from
// /assets (the page's Content-Security-Policy allows no inline script).
(function () {
  'use strict';

  var TOKEN_KEY = 'plejeoverblik:token';

  // sessionStorage where the browser allows it (it lives as long as the browser tab), else
  // memory. Never localStorage: the token must not outlive the session.
  var memory = {};
  var session = (function () {
    try {
      var s = window.sessionStorage;
      s.setItem('plejeoverblik:probe', '1');
      s.removeItem('plejeoverblik:probe');
      return s;
    } catch (e) {
      return null;
    }
  })();
  var store = session || {
    getItem: function (k) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; },
    setItem: function (k, v) { memory[k] = String(v); },
    removeItem: function (k) { delete memory[k]; },
    clear: function () { memory = {}; },
    key: function (i) { return Object.keys(memory)[i] || null; },
    get length() { return Object.keys(memory).length; },
  };

  // GraphiQL's dialogs insert a <style> element; it carries the page's nonce (see the CSP).
  var self = document.currentScript;
  if (self && self.nonce) {
    window.__webpack_nonce__ = self.nonce;
  }

  // People paste "Bearer eyJ…" as often as "eyJ…".
  function normalise(v) {
    return String(v || '').trim().replace(/^bearer\s+/i, '').trim();
  }

  var input = document.getElementById('po-token');
  var clear = document.getElementById('po-token-clear');
  var token = normalise(store.getItem(TOKEN_KEY));
  input.value = token;
  function setToken(v) {
    token = normalise(v);
    if (token) {
      store.setItem(TOKEN_KEY, token);
    } else {
      store.removeItem(TOKEN_KEY);
    }
  }
  input.addEventListener('input', function () { setToken(input.value); });
  clear.addEventListener('click', function () {
    input.value = '';
    setToken('');
    input.focus();
  });

  function hasAuthorization(headers) {
    return Object.keys(headers).some(function (k) { return k.toLowerCase() === 'authorization'; });
  }

  // Without cookies: the playground speaks for its token (or nobody), never for a console session
  // of the same browser, whose cookie /graphql would refuse without the console's CSRF token.
  function fetchWithoutCookies(url, init) {
    return window.fetch(url, Object.assign({}, init, { credentials: 'omit' }));
  }
  var base = GraphiQL.createFetcher({
    url: new URL('/graphql', window.location.href).toString(),
    fetch: fetchWithoutCookies,
  });
  // Adds the token to every request, unless the tab's own Headers pane sets Authorization.
  // Subscriptions go to /graphql/stream over graphql-sse.
  function fetcher(params, opts) {
    var headers = Object.assign({}, opts && opts.headers);
    if (token && !hasAuthorization(headers)) {
      headers.Authorization = 'Bearer ' + token;
    }
    if (isSubscription(params)) {
      return subscribe(params, headers);
    }
    return base(params, Object.assign({}, opts, { headers: headers }));
  }

  // The kind of the operation that runs: the named one, or the document's first. Comments and
  // strings are left out before looking, so a word in them does not count.
  function isSubscription(params) {
    var text = String(params.query || '')
      .replace(/"""[\s\S]*?"""/g, '""')
      .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
      .replace(/#[^\n]*/g, '');
    var re = /(?:^|[}\s])(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g;
    var m;
    var first = null;
    while ((m = re.exec(text))) {
      if (first === null) first = m[1];
      if (params.operationName && m[2] === params.operationName) return m[1] === 'subscription';
    }
    return first === 'subscription';
  }

  // graphql-sse (distinct connections mode) as an async iterable, which GraphiQL shows result
  // by result. Written here because GraphiQL's own fetcher speaks only graphql-ws and the page
  // loads nothing from another host; fetch and a stream reader are all it needs.
  function subscribe(params, headers) {
    var controller = new AbortController();
    var results = [];
    var wake = null;
    var finished = false;
    function push(v) {
      results.push(v);
      if (wake) { wake(); wake = null; }
    }
    function finish() {
      finished = true;
      if (wake) { wake(); wake = null; }
    }
    fetch(new URL('/graphql/stream', window.location.href).toString(), {
      method: 'POST',
      headers: Object.assign({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }, headers),
      body: JSON.stringify(params),
      signal: controller.signal,
      credentials: 'omit',
    }).then(function (resp) {
      if (!resp.ok || !resp.body) {
        return resp.json().then(push, function () {
          push({ errors: [{ message: 'Abonnementet blev afvist (HTTP ' + resp.status + ').' }] });
        }).then(finish);
      }
      var reader = resp.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return finish();
          buffer += decoder.decode(chunk.value, { stream: true });
          var end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            var block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            var event = '';
            var data = '';
            block.split('\n').forEach(function (line) {
              if (line.indexOf('event:') === 0) event = line.slice(6).trim();
              else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
            });
            if (event === 'next') push(JSON.parse(data));
            else if (event === 'complete') { controller.abort(); return finish(); }
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () { finish(); });
    var iterator = {
      next: function () {
        if (results.length) return Promise.resolve({ value: results.shift(), done: false });
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise(function (resolve) { wake = resolve; }).then(function () { return iterator.next(); });
      },
      return: function () {
        controller.abort();
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
    iterator[Symbol.asyncIterator] = function () { return iterator; };
    return iterator;
  }

  // GraphiQL gives its CodeMirror editors no accessible name; name them with CodeMirror's own
  // screenReaderLabel option as they appear.
  var root = document.getElementById('graphiql');
  function editorLabel(wrapper) {
    if (wrapper.closest('.graphiql-query-editor')) return 'Forespørgsel';
    if (wrapper.closest('.result-window')) return 'Svar';
    var tool = wrapper.closest('.graphiql-editor-tool');
    if (tool) {
      var editors = tool.querySelectorAll('.CodeMirror');
      return editors[0] === wrapper ? 'Variabler' : 'Headers';
    }
    return 'Editor';
  }
  function labelEditors() {
    root.querySelectorAll('.CodeMirror:not([data-po-labelled])').forEach(function (wrapper) {
      if (!wrapper.CodeMirror) return;
      wrapper.setAttribute('data-po-labelled', '');
      wrapper.CodeMirror.setOption('screenReaderLabel', editorLabel(wrapper));
    });
  }
  new MutationObserver(labelEditors).observe(root, { childList: true, subtree: true });

  var tabs = JSON.parse(document.getElementById('po-tabs').textContent);
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: tabs.map(function (t) { return { query: t.query }; }),
      defaultEditorToolsVisibility: true,
      // GraphiQL keeps its tabs and settings here too: per browser tab, and never the headers.
      storage: store,
      shouldPersistHeaders: false,
      showPersistHeadersSettings: false,
    }),
  );
})();
