/* geomap map renderer: part of geomap (MIT).
 *
 * Builds every layer of a geomap page from one JSON blob written by
 * geomap/outputs/html.py. Strings that come from articles (quotes, place text,
 * titles, sources) reach the DOM only through textContent; a source becomes a
 * link only when it parses as an http(s) URL. Markers are drawn on canvas, and
 * the cluster and heat layers are built the first time they are switched on, so
 * that a page with 100,000 incidents stays usable.
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

  function incidentPopup(D, i) {
    var c = D.inc;
    var box = el('div', 'geomap-popup');
    box.setAttribute('data-incident', String(i));
    var loc = str(D, c.loc[i]);
    var head = el('div', 'gm-head', loc || str(D, c.pl[i]) || 'Unnamed place');
    head.setAttribute('data-field', 'location');
    box.appendChild(head);
    var where = [str(D, c.pl[i]), str(D, c.a1[i]), str(D, c.cn[i])].filter(Boolean).join(', ');
    var sub = el('div', 'gm-sub', where + (c.pr[i] >= 0 ? ' (' + D.precisions[c.pr[i]] + ')' : ''));
    sub.setAttribute('data-field', 'place');
    box.appendChild(sub);
    var table = el('table', 'gm-facts');
    row(table, 'Date', c.d[i] >= 0 ? D.dates[c.d[i]] : 'unknown', 'date');
    row(table, 'Event', D.types[c.t[i]], 'event_type');
    row(table, 'Killed', fmtCount(c.k[i], D.quals[c.kq[i]]), 'killed');
    row(table, 'Wounded', fmtCount(c.w[i], D.quals[c.wq[i]]), 'wounded');
    box.appendChild(table);
    var quote = c.q[i];
    if (quote) {
      var bq = el('blockquote', 'gm-quote', quote);
      bq.setAttribute('data-field', 'quote');
      box.appendChild(bq);
    }
    var sources = c.s[i] === null ? [] : (typeof c.s[i] === 'string' ? [c.s[i]] : c.s[i]);
    if (sources.length) {
      var src = el('div', 'gm-src');
      src.setAttribute('data-field', 'source');
      src.appendChild(el('span', null, sources.length > 1 ? 'Sources: ' : 'Source: '));
      sources.forEach(function (text, n) {
        var href = safeHref(text);
        if (n) { src.appendChild(document.createTextNode(' | ')); }
        if (href) {
          var a = el('a', null, text);
          a.href = href;
          a.target = '_blank';
          a.rel = 'noopener noreferrer nofollow';
          src.appendChild(a);
        } else {
          src.appendChild(el('span', 'gm-src-text', text));
        }
      });
      box.appendChild(src);
    }
    var art = el('div', 'gm-article', 'Article: ' + c.a[i]);
    art.setAttribute('data-field', 'article_id');
    box.appendChild(art);
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
    return Math.max(0, D.inc.k[i] || 0) + Math.max(0, D.inc.w[i] || 0);
  }

  // Same rule as marker_radius() in html.py: area proportional to killed + wounded.
  function radiusOf(D, i) {
    var R = D.radius;
    var r = Math.min(R.max, Math.max(R.min, R.scale * Math.sqrt(casualties(D, i))));
    return Math.round(r * 100) / 100;
  }

  function incidentStyle(D, i, renderer) {
    var c = D.inc;
    var unknown = (c.k[i] === null && c.w[i] === null);
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
    var c = D.inc;
    var out = new Array(c.lat.length);
    for (var i = 0; i < c.lat.length; i++) {
      var m = L.circleMarker([c.lat[i], c.lon[i]], incidentStyle(D, i, renderer));
      m.geomapIndex = i;
      out[i] = m;
    }
    return out;
  }

  /* PointLayer: many circles on one canvas, drawn as a few batched paths.
   *
   * Leaflet draws each CircleMarker as its own vector path, with an object,
   * events and a style change each; at 100,000 incidents that takes seconds.
   * This layer keeps only arrays (coordinates projected once at zoom 0, a radius
   * and a style per point, a visibility mask) and fills and strokes one path per
   * style and size band, skipping circles that would land on the same pixel with
   * the same style and size. It extends L.Renderer, which positions the canvas
   * and animates zoom like Leaflet's own canvas renderer. The canvas ignores
   * the mouse; clicks are hit-tested by hit(). Bands go from large to small
   * radii so that small circles stay on top.
   */
  var PointLayer = L.Renderer.extend({
    initialize: function (spec, options) {
      L.Renderer.prototype.initialize.call(this, options);
      this._spec = spec;  // {lat, lon, radius(i), styleKey(i), styles{key: style}}
      this.visible = null;  // Uint8Array mask, null = all
      this.drawn = 0;
      var n = spec.lat.length, bands = [[], [], [], []];
      this._r = new Float32Array(n);
      for (var i = 0; i < n; i++) {
        var r = spec.radius(i);
        this._r[i] = r;
        bands[r >= 20 ? 0 : r >= 12 ? 1 : r >= 7 ? 2 : 3].push(i);
      }
      this._groups = [];
      for (var b = 0; b < bands.length; b++) {
        var byStyle = {}, keys = [];
        for (var k = 0; k < bands[b].length; k++) {
          var idx = bands[b][k], key = spec.styleKey(idx);
          if (!byStyle[key]) { byStyle[key] = []; keys.push(key); }
          byStyle[key].push(idx);
        }
        for (var s = 0; s < keys.length; s++) {
          this._groups.push({style: spec.styles[keys[s]], idx: Int32Array.from(byStyle[keys[s]])});
        }
      }
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
      var spec = this._spec, n = spec.lat.length, map = this._map;
      this._x0 = new Float64Array(n);
      this._y0 = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        var p = map.project([spec.lat[i], spec.lon[i]], 0);
        this._x0[i] = p.x;
        this._y0[i] = p.y;
      }
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
      var scale = this._map.getZoomScale(this._map.getZoom(), 0);
      var origin = this._map.getPixelOrigin();
      var ox = origin.x + b.min.x, oy = origin.y + b.min.y;
      ctx.setTransform(this._dpr, 0, 0, this._dpr, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      var vis = this.visible, drawn = 0, TAU = 2 * Math.PI;
      for (var g = 0; g < this._groups.length; g++) {
        var group = this._groups[g], st = group.style, idx = group.idx;
        var seen = new Set();
        ctx.beginPath();
        for (var k = 0; k < idx.length; k++) {
          var i = idx[k];
          if (vis && !vis[i]) { continue; }
          var x = this._x0[i] * scale - ox, y = this._y0[i] * scale - oy, r = this._r[i];
          if (x + r < 0 || y + r < 0 || x - r > size.x || y - r > size.y) { continue; }
          drawn++;
          // Same style, size and pixel: the union would not change.
          var cell = (Math.round(x) * 65536 + Math.round(y)) * 64 + Math.round(r);
          if (seen.has(cell)) { continue; }
          seen.add(cell);
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, TAU);
        }
        if (!seen.size) { continue; }
        ctx.globalAlpha = st.fillOpacity;
        ctx.fillStyle = st.fillColor;
        ctx.fill();
        ctx.globalAlpha = st.opacity;
        ctx.strokeStyle = st.color;
        ctx.lineWidth = st.weight;
        ctx.setLineDash(st.dash || []);
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
      ctx.setLineDash([]);
      this.drawn = drawn;
      return this;
    },

    radius: function (i) { return this._r[i]; },

    getCanvas: function () { return this._container; },

    // Container point of point i at the current view.
    pointOf: function (i) {
      return this._map.latLngToContainerPoint([this._spec.lat[i], this._spec.lon[i]]);
    },

    // Indices of the visible points under a container point, smallest circle first.
    hit: function (containerPoint, tolerance) {
      if (!this._map) { return []; }
      this._project0();
      var scale = this._map.getZoomScale(this._map.getZoom(), 0);
      var layerPoint = this._map.containerPointToLayerPoint(containerPoint);
      var origin = this._map.getPixelOrigin();
      var px = layerPoint.x + origin.x, py = layerPoint.y + origin.y;
      var vis = this.visible, out = [], tol = tolerance || 0;
      for (var i = 0; i < this._r.length; i++) {
        if (vis && !vis[i]) { continue; }
        var dx = this._x0[i] * scale - px, dy = this._y0[i] * scale - py;
        var rr = this._r[i] + tol;
        if (dx * dx + dy * dy <= rr * rr) { out.push(i); }
      }
      var radii = this._r;
      out.sort(function (a, b) { return radii[a] - radii[b] || b - a; });
      return out;
    }
  });

  // A popup body that pages through several items found under one click.
  function pagedPopup(items, render) {
    var box = el('div', 'geomap-paged');
    var pos = 0;
    function show() {
      while (box.firstChild) { box.removeChild(box.firstChild); }
      box.appendChild(render(items[pos]));
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
    }
    show();
    return box;
  }

  function heatPoints(D, visible) {
    var c = D.inc, pts = [];
    for (var i = 0; i < c.lat.length; i++) {
      if (visible[i]) { pts.push([c.lat[i], c.lon[i], Math.max(1, casualties(D, i))]); }
    }
    return pts;
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
      var parts = [plural(D.inc.lat.length, 'incident'), plural(D.places.lat.length, 'place')];
      if (D.unmapped) {
        parts.push(plural(D.unmapped, 'incident') + ' without coordinates (not shown)');
      }
      box.appendChild(el('div', 'gm-title-stats', parts.join(' · ')));
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    ctl.addTo(map);
  }

  function legendControl(D, map) {
    var ctl = L.control({position: 'bottomright'});
    ctl.onAdd = function () {
      var box = el('div', 'geomap-legend leaflet-bar');
      box.appendChild(el('div', 'gm-legend-head', 'Event type (colour)'));
      D.legend.types.forEach(function (t) {
        var line = el('div', 'gm-legend-row');
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
        line.appendChild(el('span', null, s[0] === null ? 'no figure given' : fmtInt(s[0])));
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
    var ctl = L.control({position: 'bottomleft'});
    var input, label, single;
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
      label = el('div', 'gm-time-label', 'all dates');
      var opt = el('label', 'gm-time-opt');
      single = el('input');
      single.type = 'checkbox';
      single.className = 'gm-time-single';
      opt.appendChild(single);
      opt.appendChild(document.createTextNode(' only this day'));
      box.appendChild(input);
      box.appendChild(label);
      box.appendChild(opt);
      var fire = function () {
        var v = Number(input.value);
        if (v >= n) {
          label.textContent = 'all dates (' + D.dates[0] + ' to ' + D.dates[n - 1] + ', and undated)';
        } else {
          label.textContent = (single.checked ? '' : 'up to ') + D.dates[v];
        }
        onChange(v >= n ? null : v, single.checked);
      };
      var big = D.inc.lat.length > 20000;
      input.addEventListener(big ? 'change' : 'input', fire);
      single.addEventListener('change', fire);
      label.textContent = 'all dates (' + D.dates[0] + ' to ' + D.dates[n - 1] + ', and undated)';
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    ctl.addTo(map);
    return ctl;
  }

  function basemap(map, baseId) {
    var node = document.getElementById(baseId);
    if (!node || typeof topojson === 'undefined') { return null; }
    var topo = JSON.parse(node.textContent);
    var countries = topojson.feature(topo, topo.objects.countries);
    addPane(map, 'geomapBase', 150);
    map.getContainer().style.background = '#cfe0ea';
    return L.geoJSON(countries, {
      pane: 'geomapBase',
      renderer: L.canvas({pane: 'geomapBase', padding: 0.5}),
      interactive: false,
      attribution: 'Country outlines: Natural Earth (public domain)',
      style: {color: '#8a8a8a', weight: 0.8, fillColor: '#f4f1ea', fillOpacity: 1}
    }).addTo(map);
  }

  window.geomapRender = function (map, dataId, baseId) {
    var now = function () { return window.performance ? window.performance.now() : 0; };
    var timings = {start: now()};
    var D = JSON.parse(document.getElementById(dataId).textContent);
    timings.parsed = now();
    var N = D.inc.lat.length;
    // Without tiles Leaflet has no zoom limit, which the cluster layer needs.
    if (!isFinite(map.getMaxZoom())) { map.options.maxZoom = 18; }
    var api = {map: map, data: D, ready: false, layers: {}, timings: timings};
    window.geomap = api;

    var base = baseId ? basemap(map, baseId) : null;
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
      lat: P.lat, lon: P.lon, radius: function (j) { return P.r[j]; },
      styleKey: function () { return 'p'; }, styles: {p: placeStyle}
    }, {pane: 'geomapPlaces', padding: 0.5});
    timings.places = now();

    // Incidents: circles with area proportional to killed + wounded, coloured by type.
    var styles = {};
    D.types.forEach(function (t, ti) {
      styles[ti + 'k'] = {color: D.colors[ti], weight: 1, opacity: 0.9,
        fillColor: D.colors[ti], fillOpacity: 0.55, dash: null};
      styles[ti + 'u'] = {color: '#333333', weight: 1, opacity: 0.9,
        fillColor: D.colors[ti], fillOpacity: 0.55, dash: [2, 2]};
    });
    var incidents = new PointLayer({
      lat: D.inc.lat, lon: D.inc.lon, radius: function (i) { return radiusOf(D, i); },
      styleKey: function (i) {
        return D.inc.t[i] + (D.inc.k[i] === null && D.inc.w[i] === null ? 'u' : 'k');
      },
      styles: styles
    }, {pane: 'geomapIncidents', padding: 0.5});
    timings.markers = now();
    var visible = new Uint8Array(N);
    visible.fill(1);
    incidents.visible = visible;

    function openPaged(latlng, items, render, width) {
      var body = pagedPopup(items, render);
      var popup = L.popup({maxWidth: width, minWidth: 220, autoPanPadding: [40, 40]})
        .setLatLng(latlng).setContent(body);
      body.geomapPopup = popup;
      popup.openOn(map);
    }

    // Clicks: the smallest incident under the pointer, else a place.
    map.on('click', function (e) {
      var hits = map.hasLayer(incidents) ? incidents.hit(e.containerPoint, 3) : [];
      if (hits.length) {
        var i0 = hits[0];
        openPaged(L.latLng(D.inc.lat[i0], D.inc.lon[i0]), hits,
          function (i) { return incidentPopup(D, i); }, 360);
        return;
      }
      var phits = map.hasLayer(places) ? places.hit(e.containerPoint, 3) : [];
      if (phits.length) {
        var j0 = phits[0];
        openPaged(L.latLng(P.lat[j0], P.lon[j0]), phits,
          function (j) { return placePopup(D, j); }, 320);
      }
    });
    var hoverPending = false;
    map.on('mousemove', function (e) {
      if (hoverPending) { return; }
      hoverPending = true;
      window.requestAnimationFrame(function () {
        hoverPending = false;
        var over = (map.hasLayer(incidents) && incidents.hit(e.containerPoint, 3).length) ||
          (map.hasLayer(places) && places.hit(e.containerPoint, 3).length);
        map.getContainer().style.cursor = over ? 'pointer' : '';
      });
    });

    // Clusters and heat map: built on first use.
    var clusters = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false,
      maxClusterRadius: 50});
    clusters.bindPopup(function (layer) { return incidentPopup(D, layer.geomapIndex); },
      {maxWidth: 360, minWidth: 220});
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
    if (base) { overlays['Country outlines'] = base; }
    L.control.layers(null, overlays, {collapsed: false, position: 'topright'}).addTo(map);
    titleControl(D, map);
    legendControl(D, map);

    if (D.dates.length) {
      timeControl(D, map, function (upto, single) {
        var c = D.inc, count = 0;
        for (var i = 0; i < N; i++) {
          var di = c.d[i];
          var show = upto === null ? true : (di >= 0 && (single ? di === upto : di <= upto));
          visible[i] = show ? 1 : 0;
          count += visible[i];
        }
        map.closePopup();
        incidents.redraw();
        if (built.clusters) { fillClusters(); }
        if (built.heat) { heat.setLatLngs(heatPoints(D, visible)); }
        api.visibleCount = count;
      });
    }

    api.layers = {incidents: incidents, places: places, clusters: clusters, heat: heat, base: base};
    api.visibleCount = N;
    timings.end = now();
    map.whenReady(function () {
      window.requestAnimationFrame(function () {
        timings.frame = now();
        window.requestAnimationFrame(function () {
          api.readyMs = window.performance ? window.performance.now() : null;
          api.ready = true;
          document.documentElement.setAttribute('data-geomap-ready', '1');
        });
      });
    });
    return api;
  };
}());
