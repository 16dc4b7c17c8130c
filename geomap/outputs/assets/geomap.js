/* geomap map renderer: part of geomap (MIT).
 *
 * Builds every layer of a geomap page from the data written by
 * geomap/outputs/html.py: JSON metadata, the incident columns (deflated
 * little-endian Int32/Int8 arrays over shared sites, base64) and the incident
 * text (deflated JSON chunks, base64, inflated only when a popup needs one).
 * Strings that come from articles (quotes, place text, titles, sources) reach
 * the DOM only through textContent; a source becomes a link only when it parses
 * as an http(s) URL. Circles are drawn from typed arrays on one canvas and
 * clicks are hit-tested through a grid of sites; the cluster and heat layers
 * are built the first time they are switched on, so that a page with a million
 * incidents stays usable. The bundled country outlines
 * (cut at the antimeridian) and the labels sit under any web tiles, so a page
 * whose tiles cannot load still shows a map.
 */
(function () {
  'use strict';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeHref(s) {
    if (typeof s !== 'string') { return null; }
    var url;
    try { url = new URL(s); } catch (err) { return null; }
    return (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null;
  }

  var QUALIFIER = {exact: '', at_least: 'at least ', approx: 'about '};

  function fmtCount(n, q) {
    if (n === null || n === undefined) {
      return q === 'approx' ? 'many (no figure given)' : 'unknown';
    }
    var prefix = Object.prototype.hasOwnProperty.call(QUALIFIER, q) ? QUALIFIER[q] : '';
    return prefix + n.toLocaleString('en-US');
  }

  function fmtInt(n) { return Number(n).toLocaleString('en-US'); }

  function plural(n, word) { return fmtInt(n) + ' ' + word + (n === 1 ? '' : 's'); }

  function str(D, idx) { return (idx === null || idx === undefined || idx < 0) ? null : D.strings[idx]; }

  function row(table, label, value, field) {
    var tr = el('tr');
    tr.appendChild(el('th', null, label));
    var td = el('td', null, value);
    td.setAttribute('data-field', field);
    tr.appendChild(td);
    table.appendChild(tr);
  }

  function sourceNode(text) {
    var href = safeHref(text);
    var node;
    if (href) {
      node = el('a', 'gm-src-link', text);
      node.href = href;
      node.target = '_blank';
      node.rel = 'noopener noreferrer nofollow';
    } else {
      node = el('span', 'gm-src-text', text);
    }
    node.setAttribute('data-field', 'source');
    return node;
  }

  function isNull(D, n) { return n === D.null; }

  function fmtFigure(D, n, q) { return fmtCount(isNull(D, n) ? null : n, D.quals[q]); }

  // The popup of incident i; ``text`` is its record from the text chunks
  // ({q: quote, a: article id, r: [[title, source], ...]}).
  function incidentPopup(D, i, text) {
    var c = D.inc, s = D.site[i];
    var box = el('div', 'geomap-popup');
    box.setAttribute('data-incident', String(i));
    box.setAttribute('data-article', String(text.a));
    // The gazetteer's name, then the text's own spelling when it differs.
    var head = el('div', 'gm-head', str(D, D.sites.pl[s]) || 'Unnamed place');
    head.setAttribute('data-field', 'place_name');
    box.appendChild(head);
    var form = str(D, c.loc[i]);
    if (form) {
      var formLine = el('div', 'gm-form', '\u00ab' + form + '\u00bb');
      formLine.setAttribute('data-field', 'location');
      box.appendChild(formLine);
    }
    var where = [str(D, D.sites.a1[s]), str(D, D.sites.cn[s])].filter(Boolean).join(', ');
    var sub = el('div', 'gm-sub', where + (c.pr[i] >= 0 ? ' (' + D.precisions[c.pr[i]] + ')' : ''));
    sub.setAttribute('data-field', 'place');
    box.appendChild(sub);
    var table = el('table', 'gm-facts');
    row(table, 'Date', c.d[i] >= 0 ? D.dates[c.d[i]] : 'unknown', 'date');
    row(table, 'Event', D.types[c.t[i]], 'event_type');
    row(table, 'Killed', fmtFigure(D, c.k[i], c.kq[i]), 'killed');
    row(table, 'Wounded', fmtFigure(D, c.w[i], c.wq[i]), 'wounded');
    box.appendChild(table);
    if (text.q) {
      var bq = el('blockquote', 'gm-quote', text.q);
      bq.setAttribute('data-field', 'quote');
      box.appendChild(bq);
    }
    // One line per report: the article's title (when known) above its source;
    // without either, the article id.
    var reports = el('div', 'gm-reports');
    reports.setAttribute('data-field', 'reports');
    text.r.forEach(function (pair) {
      var report = el('div', 'gm-report');
      var title = pair[0], key = pair[1];
      if (title) {
        var t = el('div', 'gm-art-title', title);
        t.setAttribute('data-field', 'title');
        report.appendChild(t);
      }
      if (key !== null) {
        report.appendChild(sourceNode(key));
      } else if (!title) {
        var id = el('span', 'gm-src-text', 'Article ' + text.a);
        id.setAttribute('data-field', 'source');
        report.appendChild(id);
      }
      reports.appendChild(report);
    });
    box.appendChild(reports);
    return box;
  }

  function placePopup(D, j) {
    var p = D.places;
    var box = el('div', 'geomap-popup geomap-place-popup');
    box.appendChild(el('div', 'gm-head', str(D, p.name[j])));
    var where = [str(D, p.a1[j]), str(D, p.cn[j])].filter(Boolean).join(', ');
    if (where) { box.appendChild(el('div', 'gm-sub', where)); }
    var table = el('table', 'gm-facts');
    row(table, 'Mentions', fmtInt(p.n[j]), 'mentions');
    row(table, 'Articles', fmtInt(p.na[j]), 'articles');
    row(table, 'Kind', D.features[p.f[j]], 'feature');
    var forms = p.forms[j].map(function (idx) { return D.strings[idx]; });
    if (forms.length) { row(table, 'Written as', forms.join(' · '), 'forms'); }
    box.appendChild(table);
    return box;
  }

  function casualties(D, i) {
    var k = D.inc.k[i], w = D.inc.w[i];
    return Math.max(0, isNull(D, k) ? 0 : k) + Math.max(0, isNull(D, w) ? 0 : w);
  }

  // Same rule as marker_radius() in html.py: area proportional to killed + wounded.
  function radiusOf(D, i) {
    var R = D.radius;
    var r = Math.min(R.max, Math.max(R.min, R.scale * Math.sqrt(casualties(D, i))));
    return Math.round(r * 100) / 100;
  }

  function unknownFigures(D, i) { return isNull(D, D.inc.k[i]) && isNull(D, D.inc.w[i]); }

  function latLngOf(D, i) {
    var s = D.site[i];
    return L.latLng(D.sites.lat[s], D.sites.lon[s]);
  }

  function incidentStyle(D, i, renderer) {
    var c = D.inc;
    var unknown = unknownFigures(D, i);
    return {
      renderer: renderer,
      radius: radiusOf(D, i),
      color: unknown ? '#333333' : D.colors[c.t[i]],
      weight: 1,
      opacity: 0.9,
      dashArray: unknown ? '2,2' : null,
      fillColor: D.colors[c.t[i]],
      fillOpacity: 0.55
    };
  }

  function makeMarkers(D, renderer) {
    var out = new Array(D.n);
    for (var i = 0; i < D.n; i++) {
      var m = L.circleMarker(latLngOf(D, i), incidentStyle(D, i, renderer));
      m.geomapIndex = i;
      out[i] = m;
    }
    return out;
  }

  // Web Mercator at zoom 0 (256 px), as L.CRS.EPSG3857 projects.
  var MAX_LAT = 85.0511287798;
  function mercX(lon) { return 256 * (0.5 + lon / 360); }
  function mercY(lat) {
    var s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180);
    return 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI));
  }

  var GRID = 1024;  // hit-test grid: GRID x GRID cells over the zoom-0 world
  var RADII = 64;   // draw groups by radius (px, rounded), largest first

  /* PointLayer: many circles on one canvas, drawn straight from typed arrays.
   *
   * Leaflet draws each CircleMarker as its own vector path, with an object,
   * events and a style change each; at 100,000 incidents that takes seconds,
   * at a million it does not finish. This layer keeps only typed arrays: sites
   * (coordinates, projected once at zoom 0), and per point its site, radius
   * and style, ordered once (counting sort) into groups of one radius (to the
   * pixel) and one style, largest first, so that small circles stay on top. A
   * frame is one pass over the points in view; each circle is a blit of a
   * sprite (its style and radius, drawn once), and one that would land on a
   * pixel already stamped in its group is skipped (a stamp per pixel, no Set):
   * a software canvas fills a path of 200,000 arcs ten times slower. It
   * extends L.Renderer, which positions the canvas and animates zoom like
   * Leaflet's own canvas renderer. The canvas ignores the mouse; clicks are
   * hit-tested by hit() through a grid of sites.
   */
  var PointLayer = L.Renderer.extend({
    // spec: {lat, lon: per site (degrees); site: per point (Int32Array), or null
    //        when every point is its own site; radius: per point (Float32Array);
    //        style: per point (Uint8Array), indices into styles}
    initialize: function (spec, options) {
      L.Renderer.prototype.initialize.call(this, options);
      this._spec = spec;
      this.visible = null;  // Uint8Array mask, null = all
      this.drawn = 0;
      var n = spec.radius.length, ns = spec.styles.length, NB = RADII;
      this._r = spec.radius;
      this._site = spec.site;
      this._n = n;
      var maxR = 0, keys = new Int32Array(n), counts = new Int32Array(NB * ns + 1);
      for (var i = 0; i < n; i++) {
        var r = this._r[i];
        if (r > maxR) { maxR = r; }
        var key = (RADII - 1 - Math.min(RADII - 1, Math.round(r))) * ns + spec.style[i];
        keys[i] = key;
        counts[key + 1]++;
      }
      this._maxR = maxR;
      for (var g = 1; g < counts.length; g++) { counts[g] += counts[g - 1]; }
      this._groupStart = Int32Array.from(counts);
      var order = new Int32Array(n), fill = Int32Array.from(counts);
      for (i = 0; i < n; i++) { order[fill[keys[i]]++] = i; }
      this._order = order;
      spec.styles.forEach(function (st, k) { st.id = k; });
      this._groupStyle = [];
      for (g = 0; g < NB * ns; g++) { this._groupStyle.push(spec.styles[g % ns]); }
    },

    _initContainer: function () {
      var canvas = this._container = document.createElement('canvas');
      canvas.style.pointerEvents = 'none';
      canvas.className = 'geomap-points';
      this._ctx = canvas.getContext('2d');
    },

    _destroyContainer: function () {
      L.DomUtil.remove(this._container);
      delete this._ctx;
      delete this._container;
    },

    _project0: function () {
      if (this._x0) { return; }
      var spec = this._spec, ns = spec.lat.length, map = this._map;
      var fast = map.options.crs === L.CRS.EPSG3857;
      this._x0 = new Float64Array(ns);
      this._y0 = new Float64Array(ns);
      for (var s = 0; s < ns; s++) {
        if (fast) {
          this._x0[s] = mercX(spec.lon[s]);
          this._y0[s] = mercY(spec.lat[s]);
        } else {
          var p = map.project([spec.lat[s], spec.lon[s]], 0);
          this._x0[s] = p.x;
          this._y0[s] = p.y;
        }
      }
    },

    // The grid of sites (CSR: cell -> sites) and the points of each site.
    _index: function () {
      if (this._cellStart) { return; }
      this._project0();
      var ns = this._x0.length, n = this._n, site = this._site;
      var cellOf = new Int32Array(ns), cellStart = new Int32Array(GRID * GRID + 1);
      for (var s = 0; s < ns; s++) {
        var cx = Math.min(GRID - 1, Math.max(0, Math.floor(this._x0[s] * GRID / 256)));
        var cy = Math.min(GRID - 1, Math.max(0, Math.floor(this._y0[s] * GRID / 256)));
        cellOf[s] = cy * GRID + cx;
        cellStart[cellOf[s] + 1]++;
      }
      for (var c = 1; c < cellStart.length; c++) { cellStart[c] += cellStart[c - 1]; }
      var cellSites = new Int32Array(ns), fill = Int32Array.from(cellStart);
      for (s = 0; s < ns; s++) { cellSites[fill[cellOf[s]]++] = s; }
      var siteStart = new Int32Array(ns + 1), sitePoints = new Int32Array(n);
      for (var i = 0; i < n; i++) { siteStart[(site ? site[i] : i) + 1]++; }
      for (s = 1; s <= ns; s++) { siteStart[s] += siteStart[s - 1]; }
      var sfill = Int32Array.from(siteStart);
      for (i = 0; i < n; i++) { sitePoints[sfill[site ? site[i] : i]++] = i; }
      this._cellStart = cellStart;
      this._cellSites = cellSites;
      this._siteStart = siteStart;
      this._sitePoints = sitePoints;
    },

    _update: function () {
      if (this._map._animatingZoom && this._bounds) { return; }
      L.Renderer.prototype._update.call(this);
      var b = this._bounds, size = b.getSize(), dpr = window.devicePixelRatio || 1;
      var canvas = this._container;
      L.DomUtil.setPosition(canvas, b.min);
      canvas.width = Math.round(dpr * size.x);
      canvas.height = Math.round(dpr * size.y);
      canvas.style.width = size.x + 'px';
      canvas.style.height = size.y + 'px';
      this._dpr = dpr;
      this.redraw();
    },

    redraw: function () {
      if (!this._map || !this._ctx) { return this; }
      this._project0();
      var ctx = this._ctx, b = this._bounds, size = b.getSize();
      var W = Math.ceil(size.x) + 1, H = Math.ceil(size.y) + 1;
      if (!this._stamp || this._stamp.length < W * H) {
        this._stamp = new Int32Array(W * H);
        this._gen = 0;
      }
      var stamp = this._stamp;
      var scale = this._map.getZoomScale(this._map.getZoom(), 0);
      var origin = this._map.getPixelOrigin();
      var ox = origin.x + b.min.x, oy = origin.y + b.min.y;
      ctx.setTransform(this._dpr, 0, 0, this._dpr, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      var vis = this.visible, drawn = 0, painted = 0;
      var sx = size.x, sy = size.y;
      var x0 = this._x0, y0 = this._y0, site = this._site, rad = this._r;
      var order = this._order, starts = this._groupStart;
      if (!this._sprites || this._spriteDpr !== this._dpr) {
        this._sprites = new Array(this._n);  // point -> its sprite
        this._spriteCache = new Map();
        this._spriteDpr = this._dpr;
      }
      var sprites = this._sprites;
      for (var g = 0; g + 1 < starts.length; g++) {
        var from = starts[g], to = starts[g + 1];
        if (from === to) { continue; }
        if (this._gen > 2000000000) { stamp.fill(0); this._gen = 0; }
        var gen = ++this._gen, st = this._groupStyle[g];
        for (var k = from; k < to; k++) {
          var i = order[k];
          if (vis && !vis[i]) { continue; }
          var s = site ? site[i] : i, r = rad[i];
          var x = x0[s] * scale - ox, y = y0[s] * scale - oy;
          if (x + r < 0 || y + r < 0 || x - r > sx || y - r > sy) { continue; }
          drawn++;
          // Same style, size (to the pixel) and pixel: nothing would change.
          var px = Math.round(x), py = Math.round(y);
          if (px >= 0 && py >= 0 && px < W && py < H) {
            var cell = py * W + px;
            if (stamp[cell] === gen) { continue; }
            stamp[cell] = gen;
          }
          var spr = sprites[i] || this._sprite(st, r);
          sprites[i] = spr;
          ctx.drawImage(spr.canvas, px - spr.half, py - spr.half, spr.size, spr.size);
          painted++;
        }
      }
      this.drawn = drawn;  // circles in view (repeats included)
      this.painted = painted;  // circles painted (repeats skipped)
      return this;
    },

    /* A circle of one style and radius, drawn once on a small canvas and then
     * stamped (drawImage) wherever it occurs: a blit per circle costs far less
     * than filling and stroking a path of a hundred thousand arcs. */
    _sprite: function (st, r) {
      var key = st.id * 100000 + Math.round(r * 100);
      var spr = this._spriteCache.get(key);
      if (spr) { return spr; }
      var dpr = this._dpr, half = Math.ceil(r + 1.5), size = 2 * half;
      var px = Math.ceil(size * dpr);
      var offscreen = typeof OffscreenCanvas === 'function';
      var canvas = offscreen ? new OffscreenCanvas(px, px) : document.createElement('canvas');
      canvas.width = canvas.height = px;
      var ctx = canvas.getContext('2d');
      ctx.scale(dpr, dpr);
      ctx.beginPath();
      ctx.arc(half, half, r, 0, 2 * Math.PI);
      ctx.globalAlpha = st.fillOpacity;
      ctx.fillStyle = st.fillColor;
      ctx.fill();
      ctx.globalAlpha = st.opacity;
      ctx.strokeStyle = st.color;
      ctx.lineWidth = st.weight;
      ctx.setLineDash(st.dash || []);
      ctx.stroke();
      // An ImageBitmap is the cheapest source to draw from.
      spr = {canvas: offscreen ? canvas.transferToImageBitmap() : canvas, half: half,
        size: size};
      this._spriteCache.set(key, spr);
      return spr;
    },

    radius: function (i) { return this._r[i]; },

    getCanvas: function () { return this._container; },

    // Container point of point i at the current view.
    pointOf: function (i) {
      var s = this._site ? this._site[i] : i;
      return this._map.latLngToContainerPoint([this._spec.lat[s], this._spec.lon[s]]);
    },

    // Indices of the visible points under a container point, smallest circle
    // first; with ``any``, at most one (whichever is found first: for hovering).
    hit: function (containerPoint, tolerance, any) {
      if (!this._map) { return []; }
      this._index();
      var scale = this._map.getZoomScale(this._map.getZoom(), 0);
      var layerPoint = this._map.containerPointToLayerPoint(containerPoint);
      var origin = this._map.getPixelOrigin();
      var px = layerPoint.x + origin.x, py = layerPoint.y + origin.y;
      var vis = this.visible, out = [], tol = tolerance || 0, reach = this._maxR + tol;
      var k = GRID / 256 / scale;  // cells per current-zoom pixel
      var cx0 = Math.max(0, Math.floor((px - reach) * k));
      var cx1 = Math.min(GRID - 1, Math.floor((px + reach) * k));
      var cy0 = Math.max(0, Math.floor((py - reach) * k));
      var cy1 = Math.min(GRID - 1, Math.floor((py + reach) * k));
      for (var cy = cy0; cy <= cy1; cy++) {
        for (var cx = cx0; cx <= cx1; cx++) {
          var c = cy * GRID + cx;
          for (var q = this._cellStart[c]; q < this._cellStart[c + 1]; q++) {
            var s = this._cellSites[q];
            var dx = this._x0[s] * scale - px, dy = this._y0[s] * scale - py;
            var d2 = dx * dx + dy * dy;
            if (d2 > reach * reach) { continue; }
            for (var m = this._siteStart[s]; m < this._siteStart[s + 1]; m++) {
              var i = this._sitePoints[m];
              if (vis && !vis[i]) { continue; }
              var rr = this._r[i] + tol;
              if (d2 <= rr * rr) {
                out.push(i);
                if (any) { return out; }
              }
            }
          }
        }
      }
      var radii = this._r;
      out.sort(function (a, b) { return radii[a] - radii[b] || b - a; });
      return out;
    }
  });

  // A popup body that pages through several items found under one click;
  // render(item) returns a promise of the item's node. Resolves once the first
  // item is shown.
  function pagedPopup(items, render) {
    var box = el('div', 'geomap-paged');
    var pos = 0, shown = 0;
    function show() {
      var mine = ++shown;
      return render(items[pos]).then(function (node) {
        if (mine !== shown) { return; }  // a later page won
        while (box.firstChild) { box.removeChild(box.firstChild); }
        box.appendChild(node);
        if (items.length > 1) {
          var nav = el('div', 'gm-pager');
          var prev = el('button', 'gm-prev', '\u2039');
          var next = el('button', 'gm-next', '\u203a');
          prev.type = next.type = 'button';
          prev.disabled = pos === 0;
          next.disabled = pos === items.length - 1;
          prev.addEventListener('click', function (e) { L.DomEvent.stop(e); pos--; show(); });
          next.addEventListener('click', function (e) { L.DomEvent.stop(e); pos++; show(); });
          nav.appendChild(prev);
          nav.appendChild(el('span', 'gm-pos', (pos + 1) + ' of ' + items.length + ' here'));
          nav.appendChild(next);
          box.appendChild(nav);
        }
        if (box.geomapPopup) { box.geomapPopup.update(); }
      });
    }
    return show().then(function () { return box; });
  }

  function heatPoints(D, visible) {
    var pts = [];
    for (var i = 0; i < D.n; i++) {
      if (visible[i]) {
        var s = D.site[i];
        pts.push([D.sites.lat[s], D.sites.lon[s], Math.max(1, casualties(D, i))]);
      }
    }
    return pts;
  }

  function clusterIcon(cluster) {
    var n = cluster.getChildCount();
    var size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 48;
    var outer = el('div');
    outer.appendChild(el('span', null, fmtInt(n)));
    outer.style.width = outer.style.height = (size - 8) + 'px';
    return L.divIcon({html: outer, className: 'gm-cluster', iconSize: L.point(size, size)});
  }

  function addPane(map, name, z) {
    var pane = map.createPane(name);
    pane.style.zIndex = String(z);
    return pane;
  }

  function titleControl(D, map) {
    var ctl = L.control({position: 'topright'});
    ctl.onAdd = function () {
      var box = el('div', 'geomap-title leaflet-bar');
      if (D.title) { box.appendChild(el('div', 'gm-title-text', D.title)); }
      var parts = [plural(D.n, 'incident'), plural(D.places.lat.length, 'place')];
      if (D.unmapped) {
        parts.push(plural(D.unmapped, 'incident') + ' without coordinates (not shown)');
      }
      box.appendChild(el('div', 'gm-title-stats', parts.join(' · ')));
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    ctl.addTo(map);
  }

  // The legend; its event types are check boxes: onType(type index, shown).
  function legendControl(D, map, onType) {
    var ctl = L.control({position: 'bottomright'});
    ctl.onAdd = function () {
      var box = el('div', 'geomap-legend leaflet-bar');
      box.appendChild(el('div', 'gm-legend-head', 'Event type (colour)'));
      D.legend.types.forEach(function (t) {
        var line = el('label', 'gm-legend-row gm-type-row');
        var check = el('input', 'gm-type');
        check.type = 'checkbox';
        check.checked = true;
        check.setAttribute('data-type', D.types[t]);
        check.addEventListener('change', function () { onType(t, check.checked); });
        line.appendChild(check);
        var dot = el('span', 'gm-dot');
        dot.style.backgroundColor = D.colors[t];
        line.appendChild(dot);
        line.appendChild(el('span', null, D.types[t]));
        box.appendChild(line);
      });
      box.appendChild(el('div', 'gm-legend-head', 'Killed + wounded (circle area)'));
      D.legend.sizes.forEach(function (s) {
        var line = el('div', 'gm-legend-row');
        var holder = el('span', 'gm-size-holder');
        var circle = el('span', 'gm-size' + (s[0] === null ? ' gm-size-unknown' : ''));
        circle.style.width = circle.style.height = (2 * s[1]) + 'px';
        holder.style.width = (2 * D.legend.maxR) + 'px';
        holder.appendChild(circle);
        line.appendChild(holder);
        var last = s[0] !== null && s[0] === D.legend.sizes[D.legend.sizes.length - 1][0];
        line.appendChild(el('span', null, s[0] === null ? 'no figure given' :
          fmtInt(s[0]) + (last ? ' (largest)' : '')));
        box.appendChild(line);
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    ctl.addTo(map);
  }

  function timeControl(D, map, onChange) {
    var n = D.dates.length;
    var undated = 0;
    for (var i = 0; i < D.n; i++) { if (D.inc.d[i] < 0) { undated++; } }
    var ctl = L.control({position: 'bottomleft'});
    var input, label, single, keepUndated = {checked: true};
    var allText = 'all dates (' + D.dates[0] + ' to ' + D.dates[n - 1] + ')';
    function option(cls, text, checked) {
      var opt = el('label', 'gm-time-opt');
      var box = el('input');
      box.type = 'checkbox';
      box.className = cls;
      box.checked = checked;
      opt.appendChild(box);
      opt.appendChild(document.createTextNode(' ' + text));
      return {label: opt, box: box};
    }
    ctl.onAdd = function () {
      var box = el('div', 'geomap-time leaflet-bar');
      box.appendChild(el('div', 'gm-legend-head', 'Event date'));
      input = el('input');
      input.type = 'range';
      input.min = '0';
      input.max = String(n);
      input.step = '1';
      input.value = String(n);
      input.className = 'gm-time-range';
      label = el('div', 'gm-time-label', allText);
      var one = option('gm-time-single', 'only this day', false);
      single = one.box;
      box.appendChild(input);
      box.appendChild(label);
      box.appendChild(one.label);
      var fire = function () {
        var v = Number(input.value);
        label.textContent = v >= n ? allText : (single.checked ? '' : 'up to ') + D.dates[v];
        onChange(v >= n ? null : v, single.checked, keepUndated.checked);
      };
      if (undated) {
        // Undated incidents have no place on the slider: shown unless unticked.
        var keep = option('gm-time-undated', 'undated incidents (' + fmtInt(undated) + ')', true);
        keepUndated = keep.box;
        box.appendChild(keep.label);
        keepUndated.addEventListener('change', fire);
      }
      var big = D.n > 20000;
      input.addEventListener(big ? 'change' : 'input', fire);
      single.addEventListener('change', fire);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    ctl.addTo(map);
    return ctl;
  }

  /* Basemap. world-atlas stitches the rings that Natural Earth cuts at the
   * antimeridian (Russia's Chukotka and Wrangel Island, Fiji's Taveuni) and
   * closes Antarctica round the south pole: right on a sphere, but on a flat
   * map such a ring jumps from +180 to -180, which fills a band across the
   * world (Russia) or draws a line along its latitude (Fiji's, near -16.5).
   * Such a ring is unwrapped (continuous longitudes), closed along the pole if
   * it goes round one (Antarctica), cut at the antimeridian and each piece
   * moved back into -180..180, as Natural Earth draws them: the only new
   * edges run along the world's edge and the pole. */
  // One pass over a ring: does it jump across the antimeridian, and its span.
  function scan(ring) {
    var lo = ring[0][0], hi = lo, jump = false;
    for (var i = 1; i < ring.length; i++) {
      var x = ring[i][0], d = x - ring[i - 1][0];
      if (d > 180 || d < -180) { jump = true; }
      if (x < lo) { lo = x; } else if (x > hi) { hi = x; }
    }
    return {jump: jump, lo: lo, hi: hi};
  }

  function unwrap(ring) {
    var out = [ring[0]], offset = 0;
    for (var i = 1; i < ring.length; i++) {
      var d = ring[i][0] - ring[i - 1][0];
      if (d > 180) { offset -= 360; } else if (d < -180) { offset += 360; }
      out.push([ring[i][0] + offset, ring[i][1]]);
    }
    return out;
  }

  // Sutherland-Hodgman against the meridian lon = x (keep what is east or west).
  function clipLon(ring, x, east) {
    var out = [];
    for (var i = 0; i < ring.length; i++) {
      var a = ring[i], b = ring[(i + 1) % ring.length];
      var ina = east ? a[0] >= x : a[0] <= x, inb = east ? b[0] >= x : b[0] <= x;
      if (ina) { out.push(a); }
      if (ina !== inb) {
        var t = (x - a[0]) / (b[0] - a[0]);
        out.push([x, a[1] + t * (b[1] - a[1])]);
      }
    }
    return out;
  }

  // The pieces {w, ring, lo, hi} of one ring, each within -180..180 (w: its
  // world copy; lo, hi: its longitudes).
  function splitRing(ring) {
    var sc = scan(ring);
    if (!sc.jump) { return [{w: 0, ring: ring, lo: sc.lo, hi: sc.hi}]; }
    var u = unwrap(ring), first = u[0], last = u[u.length - 1], lat = 0;
    if (Math.abs(last[0] - first[0]) > 180) {  // round a pole: close along it
      u.forEach(function (p) { lat += p[1]; });
      if (Math.abs(lat / u.length) >= 89.9) { return []; }  // the pole itself
      var pole = lat < 0 ? -90 : 90;
      u.push([last[0], pole], [first[0], pole]);
    }
    var lo = Infinity, hi = -Infinity;
    u.forEach(function (p) { lo = Math.min(lo, p[0]); hi = Math.max(hi, p[0]); });
    var out = [];
    for (var w = Math.floor((lo + 180) / 360); w * 360 - 180 < hi; w++) {
      var west = w * 360 - 180;
      var piece = clipLon(clipLon(u, west, true), west + 360, false);
      if (piece.length < 3) { continue; }
      var shifted = piece.map(function (p) { return [p[0] - w * 360, p[1]]; });
      var s2 = scan(shifted);
      out.push({w: w, ring: shifted, lo: s2.lo, hi: s2.hi});
    }
    return out;
  }

  // A feature's polygons cut at the antimeridian; each polygon's longitude span
  // (of its outer ring) goes to ``spans``, for the copies below.
  function splitPolygons(geometry, spans) {
    var polys = geometry.type === 'Polygon' ? [geometry.coordinates] :
      geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
    var out = [];
    polys.forEach(function (rings) {
      var byCopy = new Map();
      rings.forEach(function (ring, k) {
        splitRing(ring).forEach(function (piece) {
          if (!byCopy.has(piece.w)) { byCopy.set(piece.w, {rings: [], lo: 0, hi: 0}); }
          var poly = byCopy.get(piece.w);
          if (!poly.rings.length) { poly.lo = piece.lo; poly.hi = piece.hi; }
          poly.rings.push(piece.ring);
        });
      });
      byCopy.forEach(function (poly) {
        out.push(poly.rings);
        spans.push(poly);
      });
    });
    return {type: 'MultiPolygon', coordinates: out};
  }

  /* Land within 30 degrees of the antimeridian, repeated on the other side of it
   * (fill only: the cut 30 degrees out draws no line), so that a view across
   * the antimeridian shows Chukotka and Alaska, or Fiji, whole. Built when the
   * view first comes within 30 degrees of the antimeridian. */
  var COPY_BAND = 30;
  function antimeridianCopies(spans) {
    var out = [];
    spans.forEach(function (poly) {
      [[180 - COPY_BAND, true, -360], [COPY_BAND - 180, false, 360]].forEach(function (c) {
        if (c[1] ? poly.hi <= c[0] : poly.lo >= c[0]) { return; }
        var copy = [];
        poly.rings.forEach(function (ring) {
          var piece = clipLon(ring, c[0], c[1]);
          if (piece.length >= 3) {
            copy.push(piece.map(function (p) { return [p[0] + c[2], p[1]]; }));
          }
        });
        if (copy.length) { out.push(copy); }
      });
    });
    return {type: 'Feature', properties: {},
      geometry: {type: 'MultiPolygon', coordinates: out}};
  }

  function basemap(map, baseId) {
    var node = document.getElementById(baseId);
    if (!node || typeof topojson === 'undefined') { return null; }
    var topo = JSON.parse(node.textContent);
    var countries = topojson.feature(topo, topo.objects.countries);
    var spans = [];
    countries.features.forEach(function (f) { f.geometry = splitPolygons(f.geometry, spans); });
    addPane(map, 'geomapBase', 150);
    map.getContainer().style.background = '#cfe0ea';
    var renderer = L.canvas({pane: 'geomapBase', padding: 0.5});
    var fill = L.geoJSON(countries, {
      pane: 'geomapBase', renderer: renderer, interactive: false,
      attribution: 'Country outlines: Natural Earth (public domain)',
      style: {color: '#8a8a8a', weight: 0.8, fillColor: '#f4f1ea', fillOpacity: 1}
    });
    var copies = L.geoJSON(null, {
      pane: 'geomapBase', renderer: renderer, interactive: false,
      style: {stroke: false, fillColor: '#f4f1ea', fillOpacity: 1}
    });
    var group = L.layerGroup([fill, copies]).addTo(map);
    // The copies are built the first time the view comes near the antimeridian
    // (most maps never do, and their load should not pay for it).
    var built = false;
    function nearAntimeridian() {
      if (built) { return; }
      var b = map.getBounds();
      if (b.getWest() < COPY_BAND - 180 || b.getEast() > 180 - COPY_BAND) {
        built = true;
        map.off('moveend', nearAntimeridian);
        copies.addData(antimeridianCopies(spans));
      }
    }
    map.on('moveend', nearAntimeridian);
    nearAntimeridian();
    return {fill: fill, copies: copies, group: group};
  }

  /* Labels: country names (at their landmass's pole of inaccessibility, from a
   * zoom where they fit) and the names of the places that carry incidents
   * (largest tolls first). Each view shows those that fit without overlapping,
   * in priority order, as DOM text (textContent). Country names sit in a pane
   * under the tiles (an online map shows its own, unless the tiles are
   * missing); place names above the incident circles, in every mode. */
  var MAX_LABELS = 250;
  var LabelLayer = L.Layer.extend({
    initialize: function (items, options) {
      this._items = items;  // [{lat, lon, text, minZoom, kind}], in priority order
      L.setOptions(this, options);
      this.shown = 0;
    },

    onAdd: function (map) {
      this._boxes = {
        country: L.DomUtil.create('div', 'geomap-labels', map.getPane(this.options.pane)),
        place: L.DomUtil.create('div', 'geomap-labels', map.getPane(this.options.placePane))
      };
      map.on('zoomstart', this._hide, this);
      map.on('moveend', this._draw, this);
      this._draw();
    },

    onRemove: function (map) {
      map.off('zoomstart', this._hide, this);
      map.off('moveend', this._draw, this);
      L.DomUtil.remove(this._boxes.country);
      L.DomUtil.remove(this._boxes.place);
      this.shown = 0;
    },

    _hide: function () {
      this._boxes.country.style.display = this._boxes.place.style.display = 'none';
    },

    _draw: function () {
      var map = this._map, zoom = map.getZoom(), size = map.getSize();
      var boxes = this._boxes, placed = [], shown = 0;
      [boxes.country, boxes.place].forEach(function (box) {
        while (box.firstChild) { box.removeChild(box.firstChild); }
        box.style.display = '';
      });
      for (var i = 0; i < this._items.length && shown < MAX_LABELS; i++) {
        var it = this._items[i];
        if (zoom < it.minZoom) { continue; }
        var cp = map.latLngToContainerPoint([it.lat, it.lon]);
        if (cp.x < -50 || cp.y < -20 || cp.x > size.x + 50 || cp.y > size.y + 20) { continue; }
        var place = it.kind === 'place';
        var w = it.text.length * (place ? 6.6 : 7.2) + 4, h = place ? 15 : 14;
        var x0 = place ? cp.x + 5 : cp.x - w / 2, y0 = cp.y - h / 2;
        var hit = false;
        for (var k = 0; k < placed.length && !hit; k++) {
          var r = placed[k];
          hit = x0 < r[2] && x0 + w > r[0] && y0 < r[3] && y0 + h > r[1];
        }
        if (hit) { continue; }
        placed.push([x0, y0, x0 + w, y0 + h]);
        var node = el('div', 'gm-label gm-label-' + it.kind);
        node.setAttribute('data-label', it.kind);
        node.appendChild(el('span', null, it.text));
        L.DomUtil.setPosition(node, map.latLngToLayerPoint([it.lat, it.lon]));
        boxes[it.kind].appendChild(node);
        shown++;
      }
      this.shown = shown;
    }
  });

  function labelItems(D) {
    var items = [], Lb = D.labels || {lat: []};
    for (var j = 0; j < Lb.lat.length; j++) {
      // the ten largest tolls are named from zoom 3, the next 90 from 5, the rest 7
      items.push({lat: Lb.lat[j], lon: Lb.lon[j], text: D.strings[Lb.name[j]],
        minZoom: j < 10 ? 3 : j < 100 ? 5 : 7, kind: 'place'});
    }
    (D.countries || []).forEach(function (c) {
      items.push({lat: c[1], lon: c[2], text: c[0], minZoom: c[3], kind: 'country'});
    });
    return items;
  }

  /* Data decoding. The incident columns are one deflated buffer (base64): each
   * column a little-endian typed array at its offset (4-byte columns first, so
   * every view is aligned). The text is deflated JSON, one chunk per
   * ``textChunk`` incidents, base64 each and concatenated; a chunk is inflated
   * the first time a popup needs it. DecompressionStream and the rest are
   * native, so a million incidents decode in a fraction of a second. */
  function fromBase64(s) {
    if (typeof Uint8Array.fromBase64 === 'function') { return Uint8Array.fromBase64(s); }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Response(stream).arrayBuffer();
  }

  function decodeColumns(D, buffer) {
    var cols = {};
    D.columns.forEach(function (c) {
      var Kind = c[1] === 'i4' ? Int32Array : Int8Array;
      cols[c[0]] = new Kind(buffer, c[2], c[3]);
    });
    D.site = cols.site;
    var lat = new Float64Array(D.sites), lon = new Float64Array(D.sites);
    for (var s = 0; s < D.sites; s++) {
      lat[s] = cols['site.lat'][s] / 1e4;
      lon[s] = cols['site.lon'][s] / 1e4;
    }
    D.sites = {n: D.sites, lat: lat, lon: lon, pl: cols['site.pl'], a1: cols['site.a1'],
      cn: cols['site.cn']};
    D.inc = {t: cols.t, d: cols.d, k: cols.k, w: cols.w, kq: cols.kq, wq: cols.wq,
      loc: cols.loc, pr: cols.pr};
  }

  function textStore(D, node) {
    var chunks = new Map(), source = null;
    function chunk(j) {
      if (!chunks.has(j)) {
        if (source === null) { source = node.textContent; }
        var off = D.textOffsets;
        chunks.set(j, inflate(fromBase64(source.slice(off[j], off[j + 1])))
          .then(function (buf) { return JSON.parse(new TextDecoder().decode(buf)); }));
      }
      return chunks.get(j);
    }
    D.textChunkAt = chunk;
    // Incident i's text: {q: quote, a: article id, r: [[title, source], ...]}.
    return function (i) {
      var C = D.textChunk;
      return chunk(Math.floor(i / C)).then(function (c) {
        var k = i % C;
        return {q: c.q[k], a: c.a[k], r: c.r[k]};
      });
    };
  }

  window.geomapRender = function (map, dataId, baseId) {
    var now = function () { return window.performance ? window.performance.now() : 0; };
    var timings = {start: now()};
    var D = JSON.parse(document.getElementById(dataId).textContent);
    // Without tiles Leaflet has no zoom limit, which the cluster layer needs.
    if (!isFinite(map.getMaxZoom())) { map.options.maxZoom = 18; }
    var api = {map: map, data: D, ready: false, layers: {}, timings: timings};
    window.geomap = api;
    var bin = document.getElementById(dataId + '-bin').textContent;
    inflate(fromBase64(bin)).then(function (buffer) {
      decodeColumns(D, buffer);
      D.text = textStore(D, document.getElementById(dataId + '-text'));
      timings.parsed = now();
      build(map, D, api, baseId, timings, now);
    }).catch(function (err) {
      if (window.console) { window.console.error('geomap: cannot decode the map data', err); }
      throw err;
    });
    return api;
  };

  function build(map, D, api, baseId, timings, now) {
    var N = D.n;
    var base = baseId ? basemap(map, baseId) : null;
    addPane(map, 'geomapLabels', 160);
    addPane(map, 'geomapPlaceLabels', 420);
    var labels = new LabelLayer(labelItems(D), {pane: 'geomapLabels',
      placePane: 'geomapPlaceLabels'}).addTo(map);
    timings.basemap = now();
    if (map.attributionControl) {
      map.attributionControl.addAttribution(
        'Places: GeoNames (CC BY 4.0), countrystatecity (ODbL)');
    }
    addPane(map, 'geomapPlaces', 405);
    addPane(map, 'geomapIncidents', 410);
    var P = D.places;

    // Places mentioned, sized by mention count (drawn under the incidents).
    var placeStyle = {color: '#2b4a6f', weight: 1.2, opacity: 0.8, fillColor: '#6f95c2',
      fillOpacity: 0.25};
    var places = new PointLayer({
      lat: Float64Array.from(P.lat), lon: Float64Array.from(P.lon), site: null,
      radius: Float32Array.from(P.r), style: new Uint8Array(P.lat.length),
      styles: [placeStyle]
    }, {pane: 'geomapPlaces', padding: 0.5});
    timings.places = now();

    // Incidents: circles with area proportional to killed + wounded, coloured by
    // type (style 2t: figures given, 2t + 1: none, dashed outline).
    var styles = [];
    D.types.forEach(function (t, ti) {
      styles.push({color: D.colors[ti], weight: 1, opacity: 0.9,
        fillColor: D.colors[ti], fillOpacity: 0.55, dash: null});
      styles.push({color: '#333333', weight: 1, opacity: 0.9,
        fillColor: D.colors[ti], fillOpacity: 0.55, dash: [2, 2]});
    });
    var radius = new Float32Array(N), style = new Uint8Array(N);
    for (var i = 0; i < N; i++) {
      radius[i] = radiusOf(D, i);
      style[i] = 2 * D.inc.t[i] + (unknownFigures(D, i) ? 1 : 0);
    }
    var incidents = new PointLayer({
      lat: D.sites.lat, lon: D.sites.lon, site: D.site, radius: radius, style: style,
      styles: styles
    }, {pane: 'geomapIncidents', padding: 0.5});
    timings.markers = now();
    var visible = new Uint8Array(N);
    visible.fill(1);
    incidents.visible = visible;

    var opening = 0;
    function openPaged(latlng, items, render, width) {
      var mine = ++opening;
      return pagedPopup(items, render).then(function (body) {
        if (mine !== opening) { return; }  // another click came first
        var popup = L.popup({maxWidth: width, minWidth: 220, autoPanPadding: [40, 40]})
          .setLatLng(latlng).setContent(body);
        body.geomapPopup = popup;
        popup.openOn(map);
      });
    }

    function renderIncident(i) {
      return D.text(i).then(function (text) { return incidentPopup(D, i, text); });
    }

    function openIncidents(items) {
      return openPaged(latLngOf(D, items[0]), items, renderIncident, 360);
    }

    // Clicks: the smallest incident under the pointer, else a place.
    map.on('click', function (e) {
      var hits = map.hasLayer(incidents) ? incidents.hit(e.containerPoint, 3) : [];
      if (hits.length) {
        openIncidents(hits);
        return;
      }
      var phits = map.hasLayer(places) ? places.hit(e.containerPoint, 3) : [];
      if (phits.length) {
        var j0 = phits[0];
        openPaged(L.latLng(P.lat[j0], P.lon[j0]), phits,
          function (j) { return Promise.resolve(placePopup(D, j)); }, 320);
      }
    });
    var hoverPending = false;
    map.on('mousemove', function (e) {
      if (hoverPending) { return; }
      hoverPending = true;
      window.requestAnimationFrame(function () {
        hoverPending = false;
        var over = (map.hasLayer(incidents) && incidents.hit(e.containerPoint, 3, true).length) ||
          (map.hasLayer(places) && places.hit(e.containerPoint, 3, true).length);
        map.getContainer().style.cursor = over ? 'pointer' : '';
      });
    });

    // Clusters and heat map: built on first use.
    // Cluster icons in a neutral slate, sized by count: the plugin's default
    // green/yellow/orange would read as event types.
    var clusters = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false,
      maxClusterRadius: 50, iconCreateFunction: clusterIcon});
    clusters.on('click', function (e) {
      if (e.layer && e.layer.geomapIndex !== undefined) { openIncidents([e.layer.geomapIndex]); }
    });
    var clusterMarkers = null;
    function fillClusters() {
      if (clusterMarkers === null) {
        clusterMarkers = makeMarkers(D, L.canvas({pane: 'markerPane', padding: 0.5,
          tolerance: 3}));
      }
      clusters.clearLayers();
      clusters.addLayers(clusterMarkers.filter(function (m, i) { return visible[i]; }));
    }
    var heat = L.heatLayer([], {radius: 18, blur: 16, maxZoom: 10, max: D.heatMax});
    var built = {clusters: false, heat: false};

    map.on('overlayadd', function (e) {
      if (e.layer === clusters && !built.clusters) { built.clusters = true; fillClusters(); }
      if (e.layer === heat && !built.heat) { built.heat = true; heat.setLatLngs(heatPoints(D, visible)); }
    });

    places.addTo(map);
    incidents.addTo(map);
    timings.added = now();

    var overlays = {};
    overlays['Incidents (' + fmtInt(N) + ')'] = incidents;
    overlays['Incident clusters'] = clusters;
    overlays['Heat map (killed + wounded)'] = heat;
    overlays['Places mentioned (' + fmtInt(P.lat.length) + ')'] = places;
    if (base) { overlays['Country outlines'] = base.group; }
    overlays['Labels'] = labels;
    L.control.layers(null, overlays, {collapsed: false, position: 'topright'}).addTo(map);
    titleControl(D, map);
    // Filters: the time slider (up to a date, or one day; undated shown or not)
    // and the event types ticked in the legend, applied in one pass.
    var filter = {upto: null, single: false, undated: true,
      types: new Uint8Array(D.types.length).fill(1)};
    function applyFilter() {
      var d = D.inc.d, t = D.inc.t, types = filter.types, upto = filter.upto;
      var single = filter.single, undated = filter.undated, count = 0;
      for (var i = 0; i < N; i++) {
        var di = d[i];
        var show = types[t[i]] && (di < 0 ? undated :
          (upto === null || (single ? di === upto : di <= upto)));
        visible[i] = show ? 1 : 0;
        count += visible[i];
      }
      map.closePopup();
      incidents.redraw();
      if (built.clusters) { fillClusters(); }
      if (built.heat) { heat.setLatLngs(heatPoints(D, visible)); }
      api.visibleCount = count;
    }
    legendControl(D, map, function (type, shown) {
      filter.types[type] = shown ? 1 : 0;
      applyFilter();
    });
    if (D.dates.length) {
      timeControl(D, map, function (upto, single, undated) {
        filter.upto = upto;
        filter.single = single;
        filter.undated = undated;
        applyFilter();
      });
    }

    api.layers = {incidents: incidents, places: places, clusters: clusters, heat: heat,
      base: base && base.fill, baseCopies: base && base.copies, labels: labels};
    api.visibleCount = N;
    // For tests and tools: where incident i is, its text, the first incident of
    // an article (a promise: it inflates every text chunk), opening a popup.
    api.latLng = function (i) { return latLngOf(D, i); };
    api.text = D.text;
    api.find = function (articleId) {
      var jobs = [];
      for (var j = 0; j * D.textChunk < N; j++) { jobs.push(D.textChunkAt(j)); }
      return Promise.all(jobs).then(function (chunks) {
        for (var j = 0; j < chunks.length; j++) {
          var k = chunks[j].a.indexOf(articleId);
          if (k >= 0) { return j * D.textChunk + k; }
        }
        return -1;
      });
    };
    api.openIncidents = openIncidents;
    timings.end = now();
    map.whenReady(function () {
      window.requestAnimationFrame(function () {
        timings.frame = now();
        window.requestAnimationFrame(function () {
          api.readyMs = window.performance ? window.performance.now() : null;
          api.ready = true;
          document.documentElement.setAttribute('data-geomap-ready', '1');
          // The hit-test grid, before the first click needs it.
          window.setTimeout(function () { incidents._index(); places._index(); }, 0);
        });
      });
    });
  }
}());
