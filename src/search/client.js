/* Gazette search client: no dependencies, no requests outside the site.
 *
 * It reads the query and the facets from the URL (?q=…&stage=pilot&fields=new-materials),
 * tokenizes the query exactly as the index was tokenized (src/search/tokenize.rs), fetches
 * meta.json once and only the shard files of the query's tokens, then the document files of
 * the results it shows. Every text from the index goes into the page with textContent. */
(function () {
  "use strict";

  // ---- Tokenizer: a copy of src/search/tokenize.rs ------------------------------------
  var NGRAM = 3, MAX_WORD = 32, PREFIX_MIN = 3;
  var WORD_CHAR = /^[\p{Alphabetic}\p{N}]$/u;

  function isCjk(cp) {
    return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
      (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7af) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x3ffff);
  }
  function isWordChar(ch) {
    return !isCjk(ch.codePointAt(0)) && WORD_CHAR.test(ch);
  }
  function foldWidth(ch) {
    var cp = ch.codePointAt(0);
    return cp >= 0xff01 && cp <= 0xff5e ? String.fromCodePoint(cp - 0xfee0) : ch;
  }
  function normalize(text) {
    var out = "";
    for (var ch of text.toLowerCase()) out += foldWidth(ch);
    return out;
  }
  // Runs of normalized text: {cjk: [chars]} or {word: "…"}.
  function pieces(norm) {
    var out = [], cjk = [], word = [];
    function flush() {
      if (cjk.length) out.push({ cjk: cjk });
      if (word.length) out.push({ word: word.join("") });
      cjk = []; word = [];
    }
    for (var ch of norm) {
      if (isCjk(ch.codePointAt(0))) {
        if (word.length) flush();
        cjk.push(ch);
      } else if (isWordChar(ch)) {
        if (cjk.length) flush();
        if (word.length < MAX_WORD) word.push(ch);
      } else {
        flush();
      }
    }
    flush();
    return out;
  }
  // Every index token of `text`, in the order of scan() in tokenize.rs.
  function indexTokens(text) {
    var out = [];
    pieces(normalize(text)).forEach(function (p) {
      if (p.word !== undefined) { out.push(p.word); return; }
      for (var i = 0; i < p.cjk.length; i++) {
        for (var n = 1; n <= Math.min(NGRAM, i + 1); n++) {
          out.push(p.cjk.slice(i + 1 - n, i + 1).join(""));
        }
      }
    });
    return out;
  }
  function queryTerms(query) {
    return pieces(normalize(query)).map(function (p) {
      if (p.word !== undefined) {
        return { word: true, text: p.word, prefix: Array.from(p.word).length >= PREFIX_MIN };
      }
      var tokens = [], n = Math.min(NGRAM, p.cjk.length);
      for (var i = 0; i + n <= p.cjk.length; i++) tokens.push(p.cjk.slice(i, i + n).join(""));
      return { word: false, text: p.cjk.join(""), tokens: tokens };
    });
  }
  function hashKey(key) {
    var h = 0x811c9dc5;
    for (var ch of key) {
      h ^= ch.codePointAt(0);
      h = Math.imul(h, 0x01000193);
    }
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }
  function tokenHash(token) {
    var chars = Array.from(token);
    return chars.length && isWordChar(chars[0]) ? hashKey(chars.slice(0, PREFIX_MIN).join(""))
      : hashKey(token);
  }

  // ---- Document lists (src/search/encode.rs) -------------------------------------------
  var LAST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", MORE = "ghijklmnopqrstuvwxyz0123456789-_";
  var DIGIT = {};
  for (var k = 0; k < 32; k++) { DIGIT[LAST[k]] = k; DIGIT[MORE[k]] = 32 + k; }
  function decode(text) {
    var out = [], acc = 0, next = 0;
    for (var i = 0; i < text.length; i++) {
      var d = DIGIT[text[i]];
      if (d === undefined) continue;
      if (d < 32) {
        var doc = next + acc * 32 + d;
        out.push(doc); next = doc + 1; acc = 0;
      } else {
        acc = acc * 32 + (d - 32);
      }
    }
    return out;
  }

  // The tokenizer for tests (tests/search_browser.rs compares it with the Rust one).
  window.gazetteSearch = {
    indexTokens: indexTokens, queryTerms: queryTerms, tokenHash: tokenHash, decode: decode
  };

  var box = document.getElementById("search");
  if (!box) return;

  // ---- State --------------------------------------------------------------------------
  var PAGE = 10;
  var ds = box.dataset;
  var form = box.querySelector("form");
  var input = form.querySelector("input[name=q]");
  var facetsEl = box.querySelector(".search-facets");
  var statusEl = box.querySelector(".search-status");
  var list = box.querySelector(".search-results");
  var moreButton = box.querySelector(".search-more");
  var meta = null, shards = {}, docs = {}, masks = {};
  // `wanted`: the state asked for last; `current`: the state shown, with its results.
  var wanted = null, current = null, shown = 0, run = 0, expanded = {};

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.json();
    });
  }
  function shard(n) {
    if (!shards[n]) shards[n] = fetchJson(ds.root + "index/" + n + ".json");
    return shards[n];
  }
  function docFile(n) {
    if (!docs[n]) {
      var root = meta.ownSet[n] ? ds.root : ds.defaultRoot;
      docs[n] = fetchJson(root + "doc/" + n + ".json");
    }
    return docs[n];
  }
  function mask(list) {
    var m = new Uint8Array(meta.docs);
    list.forEach(function (d) { m[d] = 1; });
    return m;
  }
  function valueMask(facet, value) {
    var key = facet.name + "\u0000" + value.slug;
    if (!masks[key]) masks[key] = mask(decode(value.docs));
    return masks[key];
  }

  function readUrl() {
    var params = new URLSearchParams(location.search);
    var state = { q: params.get("q") || "", filters: {} };
    meta.facets.forEach(function (f) {
      var values = params.getAll(f.name).filter(function (slug) {
        return f.values.some(function (v) { return v.slug === slug; });
      });
      if (values.length) state.filters[f.name] = values;
    });
    return state;
  }
  function writeUrl(state, push) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    meta.facets.forEach(function (f) {
      (state.filters[f.name] || []).forEach(function (v) { params.append(f.name, v); });
    });
    var query = params.toString();
    var url = location.pathname + (query ? "?" + query : "");
    if (url !== location.pathname + location.search) {
      history[push ? "pushState" : "replaceState"](null, "", url);
    }
  }

  // ---- Matching -----------------------------------------------------------------------
  // Per term: a mask of matching documents and a score per document.
  function matchTerm(term, shardData) {
    var m = new Uint8Array(meta.docs), score = new Float64Array(meta.docs);
    if (!term.word) {
      var all = null, title = null;
      for (var i = 0; i < term.tokens.length; i++) {
        var entry = shardData[i][term.tokens[i]];
        if (!entry) return { mask: m, score: score };
        var a = mask(decode(entry[0])), t = mask(decode(entry[1] || ""));
        if (all) {
          for (var d = 0; d < meta.docs; d++) { all[d] &= a[d]; title[d] &= t[d]; }
        } else { all = a; title = t; }
      }
      for (var d2 = 0; d2 < meta.docs; d2++) {
        if (all[d2]) { m[d2] = 1; score[d2] = title[d2] ? 3 : 1; }
      }
      return { mask: m, score: score };
    }
    var data = shardData[0];
    Object.keys(data).forEach(function (key) {
      var exact = key === term.text;
      if (!exact && !(term.prefix && key.startsWith(term.text))) return;
      var entry = data[key];
      var inTitle = mask(decode(entry[1] || ""));
      decode(entry[0]).forEach(function (d) {
        var s = (inTitle[d] ? 3 : 1) + (exact ? 0.5 : 0);
        m[d] = 1;
        if (s > score[d]) score[d] = s;
      });
    });
    return { mask: m, score: score };
  }

  function search(state) {
    var terms = queryTerms(state.q);
    var wanted = terms.map(function (t) {
      var tokens = t.word ? [t.text] : t.tokens;
      return Promise.all(tokens.map(function (tok) {
        return shard(tokenHash(tok) & (meta.shards - 1));
      }));
    });
    return Promise.all(wanted).then(function (loaded) {
      var cand = new Uint8Array(meta.docs), score = new Float64Array(meta.docs);
      cand.fill(terms.length ? 1 : 0);
      terms.forEach(function (t, i) {
        var r = matchTerm(t, loaded[i]);
        for (var d = 0; d < meta.docs; d++) {
          cand[d] &= r.mask[d];
          score[d] += r.score[d];
        }
      });
      return { terms: terms, candidates: cand, score: score };
    });
  }

  // ---- Rendering ----------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function format(template, n) {
    return (template || "{n}").replace("{n}", String(n));
  }

  // Where the query's terms occur in `text`: [start, end) ranges of UTF-16 indexes.
  function findMatches(text, terms) {
    var chars = Array.from(text), norm = "", starts = [], offsets = [], off = 0;
    chars.forEach(function (ch) {
      starts.push(norm.length);
      offsets.push(off);
      norm += normalize(ch);
      off += ch.length;
    });
    starts.push(norm.length);
    offsets.push(off);
    function toOrig(pos) {
      var lo = 0, hi = chars.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (starts[mid] < pos) lo = mid + 1; else hi = mid; }
      return lo;
    }
    var ranges = [];
    terms.forEach(function (t) {
      var needles = [t.text];
      if (!t.word && norm.indexOf(t.text) < 0) needles = t.tokens;
      needles.forEach(function (needle) {
        var from = 0, at;
        while (needle && (at = norm.indexOf(needle, from)) >= 0) {
          from = at + needle.length;
          var a = toOrig(at), b = toOrig(at + needle.length);
          if (t.word) {
            if (a > 0 && isWordChar(chars[a - 1])) continue;
            if (!t.prefix && b < chars.length && isWordChar(chars[b])) continue;
          }
          ranges.push([offsets[a], offsets[b]]);
        }
      });
    });
    ranges.sort(function (x, y) { return x[0] - y[0] || y[1] - x[1]; });
    var merged = [];
    ranges.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push(r.slice());
    });
    return merged;
  }
  // Append `text` to `parent`, the ranges as <mark>.
  function highlight(parent, text, ranges) {
    var at = 0;
    ranges.forEach(function (r) {
      if (r[0] > at) parent.appendChild(document.createTextNode(text.slice(at, r[0])));
      parent.appendChild(el("mark", null, text.slice(r[0], r[1])));
      at = r[1];
    });
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }
  // A window of about 160 characters around the first match in the summary or body.
  function snippet(doc, terms) {
    var texts = [doc.m || "", doc.b || ""];
    for (var i = 0; i < texts.length; i++) {
      var ranges = terms.length ? findMatches(texts[i], terms) : [];
      if (!ranges.length) continue;
      var start = Math.max(0, ranges[0][0] - 40), end = Math.min(texts[i].length, start + 160);
      // Do not cut a surrogate pair.
      if (start > 0 && /[\udc00-\udfff]/.test(texts[i][start])) start--;
      if (end < texts[i].length && /[\ud800-\udbff]/.test(texts[i][end - 1])) end++;
      var part = texts[i].slice(start, end);
      var inside = ranges.filter(function (r) { return r[0] >= start && r[1] <= end; })
        .map(function (r) { return [r[0] - start, r[1] - start]; });
      return { text: (start > 0 ? "…" : "") + part + (end < texts[i].length ? "…" : ""),
        ranges: inside.map(function (r) { return start > 0 ? [r[0] + 1, r[1] + 1] : r; }) };
    }
    var s = texts[0] || texts[1];
    var cut = Array.from(s);
    return { text: cut.length > 160 ? cut.slice(0, 160).join("") + "…" : s, ranges: [] };
  }

  function stageLabel(key) {
    if (!key) return null;
    var f = meta.facets.find(function (f) { return f.field === "stage"; });
    var v = f && f.values.find(function (v) { return v.slug === key; });
    return v ? v.label : key;
  }

  // The label of an item's collection (the `kind` facet's value).
  function kindLabel(name) {
    var f = meta.facets.find(function (f) { return f.name === "kind"; });
    var v = f && f.values.find(function (v) { return v.slug === name; });
    return v && v.label ? v.label : name;
  }

  function resultItem(n, terms) {
    var li = el("li", "result");
    li.dataset.doc = String(n);
    list.appendChild(li);
    return docFile(n).then(function (doc) {
      if (doc.l !== document.documentElement.lang) li.lang = doc.l;
      var h = el("h2", "result-title");
      var a = el("a");
      a.href = doc.u;
      highlight(a, doc.t, findMatches(doc.t, terms));
      h.appendChild(a);
      li.appendChild(h);
      var metaLine = el("p", "result-meta");
      if (doc.i && doc.i.length) metaLine.appendChild(el("span", "result-institution", doc.i[0]));
      if (doc.c) metaLine.appendChild(el("span", "tag result-kind", kindLabel(doc.c)));
      var stage = stageLabel(doc.s);
      if (stage) metaLine.appendChild(el("span", "tag result-stage", stage));
      li.appendChild(metaLine);
      var sn = snippet(doc, terms);
      var p = el("p", "result-snippet");
      highlight(p, sn.text, sn.ranges);
      li.appendChild(p);
    }).catch(function () {
      li.appendChild(el("p", "result-error", ds.tError));
    });
  }

  // Show the next page of results; resolves when they are filled in.
  function showMore() {
    var next = current.order.slice(shown, shown + PAGE);
    var mine = run;
    box.dataset.state = "loading";
    var done = Promise.all(next.map(function (n) { return resultItem(n, current.terms); }));
    shown += next.length;
    moreButton.hidden = shown >= current.order.length;
    return done.then(function () {
      if (mine === run) box.dataset.state = "ready";
    });
  }

  function renderFacets(state, found) {
    // Disjunctive counts: a facet's counts apply every other facet's filter.
    var filterMasks = {};
    meta.facets.forEach(function (f) {
      var chosen = state.filters[f.name];
      if (!chosen) return;
      var m = new Uint8Array(meta.docs);
      f.values.forEach(function (v) {
        if (chosen.indexOf(v.slug) < 0) return;
        var vm = valueMask(f, v);
        for (var d = 0; d < meta.docs; d++) m[d] |= vm[d];
      });
      filterMasks[f.name] = m;
    });
    var base = found.terms.length ? found.candidates : null;
    var focus = document.activeElement && facetsEl.contains(document.activeElement)
      ? document.activeElement.id : null;
    facetsEl.textContent = "";
    meta.facets.forEach(function (f, fi) {
      var others = [];
      if (base) others.push(base);
      Object.keys(filterMasks).forEach(function (name) {
        if (name !== f.name) others.push(filterMasks[name]);
      });
      var chosen = state.filters[f.name] || [];
      var rows = f.values.map(function (v) {
        var count = 0;
        decode(v.docs).forEach(function (d) {
          for (var i = 0; i < others.length; i++) if (!others[i][d]) return;
          count++;
        });
        return { v: v, count: count, checked: chosen.indexOf(v.slug) >= 0 };
      }).filter(function (r) { return r.count > 0 || r.checked; });
      if (!rows.length) return;
      var fs = el("fieldset", "facet");
      fs.dataset.facet = f.name;
      fs.appendChild(el("legend", null, f.label || (f.name === "kind" ? ds.tKind : ds.tRelease)));
      var ul = el("ul");
      var limit = expanded[f.name] ? rows.length : 8;
      rows.forEach(function (r, i) {
        var li = el("li");
        if (i >= limit && !r.checked) li.hidden = true;
        var label = el("label");
        var box = el("input");
        box.type = "checkbox";
        box.name = f.name;
        box.value = r.v.slug;
        box.id = "facet-" + fi + "-" + i;
        box.checked = r.checked;
        box.addEventListener("change", function () { toggle(f.name, r.v.slug, box.checked); });
        label.appendChild(box);
        label.appendChild(el("span", "facet-label", r.v.label || ds.tKindResults));
        label.appendChild(el("span", "count", String(r.count)));
        li.appendChild(label);
        ul.appendChild(li);
      });
      fs.appendChild(ul);
      if (rows.length > limit) {
        var all = el("button", "facet-all", format(ds.tAll, rows.length));
        all.type = "button";
        all.addEventListener("click", function () {
          expanded[f.name] = true;
          fs.querySelectorAll("li[hidden]").forEach(function (li) { li.hidden = false; });
          all.remove();
        });
        fs.appendChild(all);
      }
      facetsEl.appendChild(fs);
    });
    if (focus && document.getElementById(focus)) document.getElementById(focus).focus();
    return filterMasks;
  }

  // A new query typed or submitted, with the filters as they are.
  function update(push) {
    var state = { q: input.value.trim(), filters: wanted ? wanted.filters : {} };
    writeUrl(state, push);
    return show(state);
  }

  function toggle(name, slug, on) {
    var filters = Object.assign({}, wanted.filters);
    var values = (filters[name] || []).filter(function (v) { return v !== slug; });
    if (on) values.push(slug);
    if (values.length) filters[name] = values; else delete filters[name];
    var state = { q: input.value.trim(), filters: filters };
    writeUrl(state, true);
    show(state);
  }

  function show(state) {
    var mine = ++run;
    wanted = state;
    box.setAttribute("aria-busy", "true");
    box.dataset.state = "loading";
    return search(state).then(function (found) {
      if (mine !== run) return;
      var filterMasks = renderFacets(state, found);
      var filtering = Object.keys(filterMasks).length > 0;
      var order = [];
      if (found.terms.length || filtering) {
        for (var d = 0; d < meta.docs; d++) {
          if (found.terms.length && !found.candidates[d]) continue;
          var ok = true;
          for (var name in filterMasks) if (!filterMasks[name][d]) { ok = false; break; }
          if (ok) order.push(d);
        }
        order.sort(function (a, b) { return found.score[b] - found.score[a] || a - b; });
      }
      current = { state: state, terms: found.terms, order: order };
      window.gazetteSearch.current = current;
      shown = 0;
      list.textContent = "";
      box.dataset.query = state.q;
      box.removeAttribute("aria-busy");
      if (!found.terms.length && !filtering) {
        statusEl.textContent = ds.tPrompt;
        moreButton.hidden = true;
        box.dataset.state = "ready";
        return;
      }
      // "N results" when only results can be listed; "N items" when demands, bases… may be.
      var kinds = state.filters.kind || [];
      var mixed = meta.facets.some(function (f) { return f.name === "kind"; }) &&
        !(kinds.length === 1 && kinds[0] === "results");
      var phrase = mixed && ds.tItems ? ds.tItems : ds.tResults;
      statusEl.textContent = order.length ? format(phrase, order.length) : ds.tNone;
      return showMore();
    }).catch(function () {
      if (mine !== run) return;
      statusEl.textContent = ds.tError;
      box.removeAttribute("aria-busy");
      box.dataset.state = "error";
    });
  }

  // ---- Wiring -------------------------------------------------------------------------
  // On a phone the filters start folded, so that results come first.
  var filters = box.querySelector("details.search-filters");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 640px)").matches) {
    filters.open = false;
  }
  var timer = null, composing = false;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; schedule(); });
  function schedule() {
    if (composing) return;
    clearTimeout(timer);
    timer = setTimeout(function () { update(false); }, 200);
  }
  input.addEventListener("input", schedule);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearTimeout(timer);
    update(true);
  });
  moreButton.addEventListener("click", function () { showMore(); });
  window.addEventListener("popstate", function () {
    var state = readUrl();
    input.value = state.q;
    show(state);
  });

  fetchJson(ds.root + "meta.json").then(function (m) {
    meta = m;
    if (m.ngram) NGRAM = m.ngram;
    meta.ownSet = mask(decode(m.own));
    var state = readUrl();
    input.value = state.q;
    return show(state);
  }).catch(function () {
    statusEl.textContent = ds.tError;
    box.dataset.state = "error";
  });
})();
