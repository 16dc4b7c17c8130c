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
    if (n === null || n === undefined) { return 'unknown'; }
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
    var quote = str(D, c.q[i]);
    if (quote) {
      var bq = el('blockquote', 'gm-quote', quote);
      bq.setAttribute('data-field', 'quote');
      box.appendChild(bq);
    }
    var sources = c.s[i] >= 0 ? D.sourceSets[c.s[i]] : [];
    if (sources.length) {
      var src = el('div', 'gm-src');
      src.setAttribute('data-field', 'source');
      src.appendChild(el('span', null, sources.length > 1 ? 'Sources: ' : 'Source: '));
      sources.forEach(function (idx, n) {
        var text = D.strings[idx];
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
    var art = el('div', 'gm-article', 'Article: ' + (str(D, c.a[i]) || ''));
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

  function incidentStyle(D, i, renderer) {
    var c = D.inc;
    var unknown = (c.k[i] === null && c.w[i] === null);
    return {
      renderer: renderer,
      radius: c.r[i],
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

  function heatPoints(D, visible) {
    var c = D.inc, pts = [];
    for (var i = 0; i < c.lat.length; i++) {
      if (visible[i]) { pts.push([c.lat[i], c.lon[i], c.hw[i]]); }
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
    var D = JSON.parse(document.getElementById(dataId).textContent);
    var N = D.inc.lat.length;
    // Without tiles Leaflet has no zoom limit, which the cluster layer needs.
    if (!isFinite(map.getMaxZoom())) { map.options.maxZoom = 18; }
    var api = {map: map, data: D, ready: false, layers: {}};
    window.geomap = api;

    var base = baseId ? basemap(map, baseId) : null;
    // One canvas for places, incidents and clustered incidents: a canvas above
    // another would swallow the clicks meant for the markers below it.
    addPane(map, 'geomapMarkers', 410);
    var renderer = L.canvas({pane: 'geomapMarkers', padding: 0.5, tolerance: 3});

    // Places mentioned, sized by mention count.
    var places = L.featureGroup();
    var P = D.places;
    for (var j = 0; j < P.lat.length; j++) {
      var pm = L.circleMarker([P.lat[j], P.lon[j]], {
        renderer: renderer, radius: P.r[j], color: '#2b4a6f', weight: 1.2,
        opacity: 0.8, fillColor: '#6f95c2', fillOpacity: 0.25
      });
      pm.geomapIndex = j;
      places.addLayer(pm);
    }
    places.bindPopup(function (layer) { return placePopup(D, layer.geomapIndex); }, {maxWidth: 320});

    // Incidents: one canvas circle marker each.
    var markers = makeMarkers(D, renderer);
    var incidents = L.featureGroup(markers);
    incidents.bindPopup(function (layer) { return incidentPopup(D, layer.geomapIndex); },
      {maxWidth: 360, minWidth: 220});

    var visible = new Array(N);
    for (var v = 0; v < N; v++) { visible[v] = true; }

    // Clusters and heat map: built on first use.
    var clusters = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false,
      maxClusterRadius: 50});
    clusters.bindPopup(function (layer) { return incidentPopup(D, layer.geomapIndex); },
      {maxWidth: 360, minWidth: 220});
    var clusterMarkers = null;
    function fillClusters() {
      if (clusterMarkers === null) { clusterMarkers = makeMarkers(D, renderer); }
      clusters.clearLayers();
      clusters.addLayers(clusterMarkers.filter(function (m, i) { return visible[i]; }));
    }
    var heat = L.heatLayer([], {radius: 18, blur: 16, maxZoom: 10, max: D.heatMax});
    var built = {clusters: false, heat: false};

    map.on('overlayadd', function (e) {
      // Places are drawn under the incidents on the shared canvas.
      if (e.layer === places) { places.eachLayer(function (l) { l.bringToBack(); }); }
      if (e.layer === clusters && !built.clusters) { built.clusters = true; fillClusters(); }
      if (e.layer === heat && !built.heat) { built.heat = true; heat.setLatLngs(heatPoints(D, visible)); }
    });

    places.addTo(map);
    incidents.addTo(map);

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
        var c = D.inc;
        var keep = [];
        for (var i = 0; i < N; i++) {
          var di = c.d[i];
          var show = upto === null ? true : (di >= 0 && (single ? di === upto : di <= upto));
          visible[i] = show;
          if (show) { keep.push(markers[i]); }
        }
        incidents.clearLayers();
        for (var k = 0; k < keep.length; k++) { incidents.addLayer(keep[k]); }
        if (built.clusters) { fillClusters(); }
        if (built.heat) { heat.setLatLngs(heatPoints(D, visible)); }
        api.visibleCount = keep.length;
      });
    }

    api.layers = {incidents: incidents, places: places, clusters: clusters, heat: heat, base: base};
    api.markers = markers;
    api.visibleCount = N;
    map.whenReady(function () {
      window.requestAnimationFrame(function () {
        window.requestAnimationFrame(function () {
          api.ready = true;
          document.documentElement.setAttribute('data-geomap-ready', '1');
        });
      });
    });
    return api;
  };
}());
