/* geomap review page: table + map + article, over the review JSON API.
 *
 * Every string from an article or the gazetteer reaches the DOM through
 * textContent (never innerHTML); offsets from the API are code points, so
 * texts are sliced with Array.from, not String.prototype.slice.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'geomap-review-token';
  var REVIEWER_KEY = 'geomap-reviewer';
  var STATUS_COLOR = {
    machine: '#607d8b', accepted: '#2e7d32', edited: '#1565c0',
    rejected: '#c62828', added: '#ef6c00', merged: '#9e9e9e'
  };

  // -- the token: from ?token= once, then from sessionStorage ------------------
  var params = new URLSearchParams(window.location.search);
  if (params.has('token')) {
    window.sessionStorage.setItem(TOKEN_KEY, params.get('token'));
    params.delete('token');
    var rest = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (rest ? '?' + rest : ''));
  }
  var token = window.sessionStorage.getItem(TOKEN_KEY) || '';

  var S = { rows: [], byId: {}, selected: null, detail: null, marked: [], pendingPlace: undefined };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function say(text, isError) {
    var m = $('message');
    m.textContent = text || '';
    m.className = isError ? 'error' : '';
  }

  function api(method, path, body, version) {
    var headers = { 'Authorization': 'Bearer ' + token };
    var init = { method: method, headers: headers, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      var reviewer = $('reviewer').value.trim();
      if (reviewer) { body.reviewer = reviewer; }
      init.body = JSON.stringify(body);
    }
    if (version !== undefined && version !== null) { headers['If-Match'] = '"' + version + '"'; }
    return window.fetch(path, init).then(function (r) {
      return r.json().catch(function () { return { error: r.status + ' ' + r.statusText }; })
        .then(function (data) {
          return { status: r.status, data: data, etag: r.headers.get('ETag') };
        });
    });
  }

  // -- the map ----------------------------------------------------------------
  var map = L.map('map', { worldCopyJump: true, attributionControl: true }).setView([30, 20], 2);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('Natural Earth (public domain)');
  var markers = L.layerGroup().addTo(map);
  var candidates = L.layerGroup().addTo(map);
  var markerOf = {};

  window.fetch('/assets/countries-50m.json').then(function (r) { return r.json(); }).then(function (topo) {
    var land = topojson.feature(topo, topo.objects.countries);
    L.geoJSON(land, { interactive: false, style: { color: '#90a4ae', weight: 0.6, fillColor: '#fafafa', fillOpacity: 1 } }).addTo(map).bringToBack();
  });

  function drawMarkers() {
    markers.clearLayers();
    markerOf = {};
    var pts = [];
    S.rows.forEach(function (row) {
      var p = row.place;
      if (!p || row.review_status === 'rejected' || row.review_status === 'merged') { return; }
      var m = L.circleMarker([p.lat, p.lon], {
        radius: 6, color: '#fff', weight: 1, fillOpacity: 0.9,
        fillColor: STATUS_COLOR[row.review_status] || '#607d8b'
      });
      m.bindTooltip(el('span', null, '#' + row.id + ' ' + (row.location || '')));
      m.on('click', function () { select(row.id); });
      m.addTo(markers);
      markerOf[row.id] = m;
      pts.push([p.lat, p.lon]);
    });
    if (pts.length && !S.fitted) { map.fitBounds(pts, { maxZoom: 7, padding: [20, 20] }); S.fitted = true; }
  }

  function focusMarker(id) {
    Object.keys(markerOf).forEach(function (k) {
      markerOf[k].setStyle({ radius: String(k) === String(id) ? 10 : 6, weight: String(k) === String(id) ? 3 : 1, color: String(k) === String(id) ? '#000' : '#fff' });
    });
    var m = markerOf[id];
    if (m) { m.bringToFront(); map.panTo(m.getLatLng()); }
  }

  // -- the table ----------------------------------------------------------------
  function filterQuery() {
    var q = new URLSearchParams();
    Array.prototype.forEach.call($('filters').elements, function (f) {
      if (f.name && f.value) { q.set(f.name, f.value); }
    });
    return q.toString();
  }

  function load(keepSelection) {
    var qs = filterQuery();
    return api('GET', '/api/incidents' + (qs ? '?' + qs : '')).then(function (r) {
      if (r.status !== 200) { say(r.data.error, true); return; }
      fillTypes(r.data.event_types);
      S.rows = r.data.incidents;
      S.byId = {};
      S.rows.forEach(function (row) { S.byId[row.id] = row; });
      S.marked = S.marked.filter(function (id) { return S.byId[id]; });
      drawTable();
      drawMarkers();
      $('counts').textContent = r.data.count + ' incidents';
      if (keepSelection && S.selected !== null && S.byId[S.selected]) { highlightRow(S.selected); }
    });
  }

  var typesFilled = false;
  function fillTypes(types) {
    if (typesFilled) { return; }
    typesFilled = true;
    var f = $('filters').elements.event_type;
    var e = $('edit').elements.event_type;
    types.forEach(function (t) { f.appendChild(el('option', null, t)); e.appendChild(el('option', null, t)); });
  }

  function cell(tr, text, cls) { var td = el('td', cls, text); tr.appendChild(td); return td; }

  function drawTable() {
    var body = document.querySelector('#incidents tbody');
    body.textContent = '';
    S.rows.forEach(function (row) {
      var tr = el('tr', 'st-' + row.review_status);
      tr.dataset.id = String(row.id);
      var box = el('input');
      box.type = 'checkbox';
      box.className = 'mark';
      box.checked = S.marked.indexOf(row.id) >= 0;
      box.addEventListener('click', function (ev) { ev.stopPropagation(); toggleMark(row.id, box.checked); });
      var td = el('td'); td.appendChild(box); tr.appendChild(td);
      cell(tr, row.id);
      cell(tr, row.date || '');
      cell(tr, row.location || (row.stale ? '(gone)' : ''), 'place');
      cell(tr, row.place ? row.place.country_code : '');
      cell(tr, row.event_type || '');
      cell(tr, row.killed === null || row.killed === undefined ? '' : row.killed, 'killed');
      cell(tr, row.wounded === null || row.wounded === undefined ? '' : row.wounded, 'wounded');
      var st = el('td', 'status'); st.appendChild(el('span', 'badge', row.review_status)); tr.appendChild(st);
      tr.addEventListener('click', function () { select(row.id); });
      body.appendChild(tr);
    });
    $('merge').disabled = S.marked.length !== 2;
  }

  function toggleMark(id, on) {
    S.marked = S.marked.filter(function (x) { return x !== id; });
    if (on) { S.marked.push(id); }
    if (S.marked.length > 2) { S.marked.shift(); drawTable(); }
    $('merge').disabled = S.marked.length !== 2;
    $('merge').textContent = 'Merge marked (' + S.marked.length + ')';
  }

  function highlightRow(id) {
    Array.prototype.forEach.call(document.querySelectorAll('#incidents tbody tr'), function (tr) {
      var on = tr.dataset.id === String(id);
      tr.classList.toggle('selected', on);
      if (on) { tr.scrollIntoView({ block: 'nearest' }); }
    });
  }

  // -- the article and the form ------------------------------------------------------
  function select(id) {
    S.selected = id;
    highlightRow(id);
    focusMarker(id);
    return api('GET', '/api/incidents/' + id).then(function (r) {
      if (r.status !== 200) { say(r.data.error, true); return; }
      S.detail = r.data;
      showDetail();
    });
  }

  function pieces(cps, lo, hi, spans, out) {
    // the code points [lo, hi) cut at every span edge; each piece gets the
    // classes of the spans covering it
    var cuts = [lo, hi];
    spans.forEach(function (s) {
      [s.start, s.end].forEach(function (v) { if (v > lo && v < hi) { cuts.push(v); } });
    });
    cuts = cuts.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1], cls = [];
      spans.forEach(function (s) { if (s.start <= a && b <= s.end && cls.indexOf(s.cls) < 0) { cls.push(s.cls); } });
      var piece = el('span', cls.join(' '), cps.slice(a, b).join(''));
      piece.dataset.start = String(a);
      out.appendChild(piece);
    }
  }

  function articleNodes(text, quote, spans) {
    // the article text with the quote in one <mark class="q">
    var cps = Array.from(text), n = cps.length;
    var out = document.createDocumentFragment();
    var qs = Math.max(0, Math.min(n, quote.start)), qe = Math.max(qs, Math.min(n, quote.end));
    if (quote.start < 0 || qe <= qs) { pieces(cps, 0, n, spans, out); return out; }
    pieces(cps, 0, qs, spans, out);
    var mark = el('mark', 'q');
    pieces(cps, qs, qe, spans, mark);
    out.appendChild(mark);
    pieces(cps, qe, n, spans, out);
    return out;
  }

  function showDetail() {
    var d = S.detail;
    $('detail').hidden = false;
    $('article-title').textContent = d.article.title || d.article.id;
    $('article-meta').textContent = [d.article.id, d.article.date, d.article.source].filter(Boolean).join(' · ');
    var spans = [];
    var h = d.highlights;
    h.places.forEach(function (p) { spans.push({ start: p.start, end: p.end, cls: p.chosen ? 'place chosen' : 'place' }); });
    h.figures.forEach(function (f) { spans.push({ start: f.start, end: f.end, cls: 'fig ' + f.kind }); });
    var box = $('article-text');
    box.textContent = '';
    box.appendChild(articleNodes(d.article.text, h.quote, spans));
    var q = box.querySelector('.q');
    if (q) { q.scrollIntoView({ block: 'nearest' }); }
    var f = $('edit').elements;
    f.killed.value = d.killed === null || d.killed === undefined ? '' : d.killed;
    f.wounded.value = d.wounded === null || d.wounded === undefined ? '' : d.wounded;
    f.killed_qualifier.value = d.killed_qualifier || '';
    f.wounded_qualifier.value = d.wounded_qualifier || '';
    f.date.value = d.date || '';
    f.event_type.value = d.event_type || 'other';
    $('edit-id').textContent = '#' + d.id + ' (version ' + d.version + ')';
    $('edit-status').textContent = d.review_status;
    $('place-now').textContent = d.place ? placeLabel(d.place) : '(none)';
    S.pendingPlace = undefined;
    candidates.clearLayers();
    $('candidates').textContent = '';
    var log = $('log');
    log.textContent = '';
    d.log.forEach(function (c) {
      log.appendChild(el('li', null, c.at + ' ' + (c.reviewer || '-') + ': ' + c.field + ' ' +
        JSON.stringify(c.before) + ' \u2192 ' + JSON.stringify(c.after)));
    });
  }

  function placeLabel(p) {
    return [p.name, p.admin1, p.country_code].filter(Boolean).join(', ') + ' (' + p.feature + ', ' + p.geonameid + ')';
  }

  function after(r, okText) {
    if (r.status === 409) {
      say('Changed by someone else meanwhile (now version ' + r.data.version + '): reloaded, apply your change again.', true);
      return load(true).then(function () { return select(S.selected); });
    }
    if (r.status >= 400) { say(r.data.error, true); return Promise.resolve(); }
    say(okText);
    S.selected = r.data.id;
    S.detail = r.data;
    return load(true).then(function () { highlightRow(r.data.id); focusMarker(r.data.id); showDetail(); });
  }

  function patch(body, okText) {
    if (!S.detail) { return Promise.resolve(); }
    return api('PATCH', '/api/incidents/' + S.detail.id, body, S.detail.version).then(function (r) { return after(r, okText); });
  }

  function intOrNull(v) { return v === '' ? null : parseInt(v, 10); }

  function save(ev) {
    if (ev) { ev.preventDefault(); }
    var d = S.detail, f = $('edit').elements, body = {};
    var now = {
      killed: intOrNull(f.killed.value), wounded: intOrNull(f.wounded.value),
      killed_qualifier: f.killed_qualifier.value || null,
      wounded_qualifier: f.wounded_qualifier.value || null,
      date: f.date.value || null, event_type: f.event_type.value
    };
    Object.keys(now).forEach(function (k) { if (now[k] !== (d[k] === undefined ? null : d[k])) { body[k] = now[k]; } });
    if (S.pendingPlace !== undefined) { body.geonameid = S.pendingPlace; }
    if (!Object.keys(body).length) { say('Nothing changed.'); return Promise.resolve(); }
    return patch(body, 'Saved #' + d.id + '.');
  }

  function move(step) {
    if (!S.rows.length) { return; }
    var i = -1;
    for (var k = 0; k < S.rows.length; k++) { if (S.rows[k].id === S.selected) { i = k; } }
    var j = Math.max(0, Math.min(S.rows.length - 1, i + step));
    if (i < 0) { j = 0; }
    select(S.rows[j].id);
  }

  function selectionSpan() {
    // code-point offsets of the selection inside the article text, or null
    var sel = window.getSelection();
    var box = $('article-text');
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var range = sel.getRangeAt(0);
    if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) { return null; }
    var pre = document.createRange();
    pre.selectNodeContents(box);
    pre.setEnd(range.startContainer, range.startOffset);
    var start = Array.from(pre.toString()).length;
    var end = start + Array.from(range.toString()).length;
    return { start: start, end: end };
  }

  function addFromSelection() {
    var span = selectionSpan();
    if (!span || !S.detail) { say('Select the text of the missed incident in the article first.', true); return Promise.resolve(); }
    return api('POST', '/api/incidents', { article_id: S.detail.article.id, start: span.start, end: span.end })
      .then(function (r) { return after(r, 'Added #' + (r.data && r.data.id) + ' from the selected text.'); });
  }

  function split() {
    if (!S.detail) { return Promise.resolve(); }
    var span = selectionSpan() || {};
    var body = {};
    if (span.start !== undefined) { body.start = span.start; body.end = span.end; }
    return api('POST', '/api/incidents/' + S.detail.id + '/split', body, S.detail.version)
      .then(function (r) { return after(r, 'Split #' + (r.data && r.data.id) + ' off #' + S.detail.id + '.'); });
  }

  function merge() {
    if (S.marked.length !== 2) { return Promise.resolve(); }
    var keep = S.marked.indexOf(S.selected) >= 0 ? S.selected : S.marked[0];
    var other = S.marked[0] === keep ? S.marked[1] : S.marked[0];
    var versions = {};
    versions[keep] = S.byId[keep].version;
    versions[other] = S.byId[other].version;
    return api('POST', '/api/incidents/merge', { ids: [keep, other], versions: versions }).then(function (r) {
      S.marked = [];
      return after(r, 'Merged #' + other + ' into #' + keep + '.');
    });
  }

  function findPlace() {
    var q = $('place-q').value.trim();
    if (!q) { return Promise.resolve(); }
    return api('GET', '/api/places?q=' + encodeURIComponent(q)).then(function (r) {
      var list = $('candidates');
      list.textContent = '';
      candidates.clearLayers();
      if (r.status !== 200) { say(r.data.error, true); return; }
      var pts = [];
      r.data.candidates.forEach(function (c) {
        var li = el('li');
        var b = el('button', 'pick', placeLabel(c));
        b.type = 'button';
        b.addEventListener('click', function () { pick(c); });
        li.appendChild(b);
        list.appendChild(li);
        var m = L.circleMarker([c.lat, c.lon], { radius: 7, color: '#6a1b9a', weight: 2, fillColor: '#ce93d8', fillOpacity: 0.8 });
        m.bindTooltip(el('span', null, placeLabel(c)));
        m.on('click', function () { pick(c); });
        m.addTo(candidates);
        pts.push([c.lat, c.lon]);
      });
      if (!pts.length) { list.appendChild(el('li', 'muted', 'no place found')); }
      else { map.fitBounds(pts, { maxZoom: 8, padding: [30, 30] }); }
    });
  }

  function pick(c) {
    S.pendingPlace = c.geonameid;
    $('place-now').textContent = placeLabel(c) + ' (unsaved)';
  }

  // -- wiring ---------------------------------------------------------------------
  $('reviewer').value = window.localStorage.getItem(REVIEWER_KEY) || '';
  $('reviewer').addEventListener('change', function () { window.localStorage.setItem(REVIEWER_KEY, $('reviewer').value); });
  $('filters').addEventListener('input', function () { load(true); });
  $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); });
  $('edit').addEventListener('submit', save);
  $('accept').addEventListener('click', function () { patch({ status: 'accepted' }, 'Accepted.'); });
  $('reject').addEventListener('click', function () { patch({ status: 'rejected' }, 'Rejected.'); });
  $('next').addEventListener('click', function () { move(1); });
  $('add').addEventListener('click', addFromSelection);
  $('split').addEventListener('click', split);
  $('merge').addEventListener('click', merge);
  $('place-find').addEventListener('click', findPlace);
  $('place-q').addEventListener('keydown', function (ev) { if (ev.key === 'Enter') { ev.preventDefault(); findPlace(); } });
  document.addEventListener('keydown', function (ev) {
    var t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) { return; }
    if (ev.key === 'a') { patch({ status: 'accepted' }, 'Accepted.'); }
    else if (ev.key === 'r') { patch({ status: 'rejected' }, 'Rejected.'); }
    else if (ev.key === 'j' || ev.key === 'ArrowDown') { ev.preventDefault(); move(1); }
    else if (ev.key === 'k' || ev.key === 'ArrowUp') { ev.preventDefault(); move(-1); }
    else if (ev.key === 'e') { ev.preventDefault(); $('edit').elements.killed.focus(); }
  });

  window.review = { state: S, map: map, candidates: candidates, markers: markers, ready: false, select: select, load: load };
  if (!token) {
    say('No token: open the address that geomap review printed (it ends in ?token=...).', true);
    window.review.ready = true;
  } else {
    load(false).then(function () { window.review.ready = true; });
  }
}());
