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

  var base = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).toString() });
  // Adds the token to every request, unless the tab's own Headers pane sets Authorization.
  function fetcher(params, opts) {
    var headers = Object.assign({}, opts && opts.headers);
    if (token && !hasAuthorization(headers)) {
      headers.Authorization = 'Bearer ' + token;
    }
    return base(params, Object.assign({}, opts, { headers: headers }));
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
